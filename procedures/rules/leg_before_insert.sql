-- ledger_private.leg_before_insert() → trigger: the row checks every leg passes (DX021,
-- DX006, DX005, DX008, DX007, DX004, DX047).
--
-- Row checks on every leg, whoever writes it (the posting path included): it joins a
-- journal of the current transaction, takes that journal's tenant, date and txid, and posts
-- to an active account of that tenant in the account's currency with no more decimals than
-- the currency has, and no more than the account's posting limit (max_leg_amount, NULL
-- for none: read with the account's row, so an account without a limit costs nothing more,
-- and the limit holds on every path: postings, batches, reversals, FX). The amount is stored at the currency's scale so that it reads back as
-- "4500.00", never "4500". Outside the posting path (doublex.checked_inline not 'on') the
-- leg is also added to its journal's state for the commit checks. A failed row check raises
-- through ledger_private.raise_leg_error (COLUMN legs[i].field, as the posting path names it).
-- A leg of the journal named by doublex.checked_legs, written while doublex.checked_inline
-- is on, is vouched for by its writer (ledger.capture_hold, which checks what can have
-- changed since its hold and passes the leg's tenant and date): only its txid is stamped.
-- (First defined in migrations/0003_invariant_triggers.sql; this file is its only home since.)

CREATE OR REPLACE FUNCTION ledger_private.leg_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_id text := NEW.journal_id::text;
    v_slot integer := coalesce(nullif(current_setting('doublex.journal_count', true), ''), '0')::integer;
    v_hint integer := least(coalesce(nullif(current_setting('doublex.journal_hint', true), ''), '0')::integer,
                            v_slot);
    v_text text;
    v_state jsonb;
    v_account record;
    v_net numeric;
BEGIN
    v_text := current_setting('doublex.journal_' || v_slot, true);
    -- A writer that checked its legs itself vouches for the legs of exactly one journal
    -- (ledger.capture_hold: doublex.checked_legs names the journal, and checked_inline is
    -- on) and writes their tenant and date: nothing is read or checked again. Only for the
    -- journal this transaction wrote last, while checked_inline was on (its newest slot
    -- says so): the two settings alone never let a leg into another journal, a committed
    -- one least of all (that leg goes on to the checks below, and DX021).
    IF current_setting('doublex.checked_legs', true) = v_id
       AND current_setting('doublex.checked_inline', true) = 'on'
       AND strpos(v_text, v_id) > 0 AND strpos(v_text, '"vouched": true') > 0 THEN
        NEW.txid := (pg_current_xact_id()::text)::bigint;
        RETURN NEW;
    END IF;
    -- Legs follow their journal: the newest slot, else the slot of the previous leg (the
    -- hint, see journal_slot), is almost always the one; a slot is parsed only when its text
    -- holds the id. Otherwise journal_slot searches every slot of the transaction.
    IF coalesce(strpos(v_text, v_id), 0) = 0 AND v_hint >= 1 THEN
        v_slot := v_hint;
        v_text := current_setting('doublex.journal_' || v_slot);
    END IF;
    IF coalesce(strpos(v_text, v_id), 0) > 0 THEN
        v_state := v_text::jsonb;
    END IF;
    IF (v_state ->> 'id') IS DISTINCT FROM v_id THEN
        v_slot := ledger_private.journal_slot(NEW.journal_id);
        IF v_slot IS NULL THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX021',
                MESSAGE = format('leg %s: journal %s was not created by this transaction',
                                 NEW.leg_no, NEW.journal_id),
                DETAIL = 'A journal and all its legs are written in one transaction.',
                HINT = 'Post a new journal instead of adding legs to an existing one.';
        END IF;
        v_state := ledger_private.journal_state(v_slot);
    END IF;
    NEW.tenant := v_state ->> 'tenant';
    NEW.effective_date := (v_state ->> 'effective_date')::date;
    NEW.txid := (pg_current_xact_id()::text)::bigint;

    SELECT a.code, a.ccy, a.status,
           a.allow_negative AND a.min_balance IS NULL AND a.max_balance IS NULL AS unlimited,
           a.max_leg_amount, c.exponent INTO v_account
      FROM ledger_private.account AS a
      LEFT JOIN ledger_private.currency AS c ON c.code = NEW.ccy
     WHERE a.account_id = NEW.account_id AND a.tenant = NEW.tenant;
    IF NOT FOUND THEN
        PERFORM ledger_private.raise_leg_error(
            'DX006', NEW.leg_no, 'account',
            format('no account with id %s in tenant %s', NEW.account_id, NEW.tenant));
    END IF;
    IF v_account.exponent IS NULL THEN
        PERFORM ledger_private.raise_leg_error(
            'DX005', NEW.leg_no, 'ccy', format('unknown currency %s', NEW.ccy),
            'Use an ISO 4217 code such as EUR, USD or JPY.');
    END IF;
    IF NEW.ccy <> v_account.ccy THEN
        PERFORM ledger_private.raise_leg_error(
            'DX008', NEW.leg_no, 'ccy',
            format('account %s holds %s, the leg is in %s', v_account.code, v_account.ccy, NEW.ccy),
            'A cross-currency movement is an FX settlement through clearing accounts.');
    END IF;
    IF v_account.status <> 'active' THEN
        PERFORM ledger_private.raise_leg_error(
            'DX007', NEW.leg_no, 'account',
            format('account %s is %s; only active accounts post', v_account.code, v_account.status));
    END IF;
    IF scale(NEW.amount) > v_account.exponent THEN
        PERFORM ledger_private.raise_leg_error(
            'DX004', NEW.leg_no, 'amount',
            format('%s has more decimals than %s allows (%s)', NEW.amount, NEW.ccy, v_account.exponent),
            'Amounts are never rounded silently; send the exact amount in minor units.');
    END IF;
    IF NEW.amount > v_account.max_leg_amount THEN
        -- Raised here rather than through raise_leg_error: the same COLUMN and MESSAGE shape.
        RAISE EXCEPTION USING
            ERRCODE = 'DX047', COLUMN = format('legs[%s].amount', NEW.leg_no - 1),
            MESSAGE = format('legs[%s].amount: %s %s is over the posting limit of account %s (%s %s per leg)',
                             NEW.leg_no - 1, NEW.amount, NEW.ccy, v_account.code,
                             v_account.max_leg_amount, NEW.ccy),
            HINT = 'The account''s posting limit is a rule of the ledger; post a smaller amount.';
    END IF;
    NEW.amount := round(NEW.amount, v_account.exponent);

    IF current_setting('doublex.checked_inline', true) IS DISTINCT FROM 'on' THEN
        v_net := coalesce((v_state -> 'net' ->> NEW.ccy)::numeric, 0)
                 + CASE NEW.side WHEN 'debit' THEN NEW.amount ELSE -NEW.amount END;
        v_state := jsonb_set(v_state, '{legs}', to_jsonb((v_state ->> 'legs')::integer + 1));
        v_state := jsonb_set(v_state, ARRAY['net', NEW.ccy], to_jsonb(v_net));
        IF NOT v_account.unlimited THEN
            -- The commit check reads balances only for accounts with limits.
            v_state := jsonb_set(v_state, '{constrained}',
                                 (v_state -> 'constrained') || to_jsonb(NEW.account_id));
        END IF;
        PERFORM set_config('doublex.journal_' || v_slot, v_state::text, true);
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION ledger_private.leg_before_insert() IS
    'Trigger: row checks on every leg (own-transaction journal, account, currency, status, decimals, posting limit) and journal state bookkeeping';
