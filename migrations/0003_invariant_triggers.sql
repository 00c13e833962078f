-- Invariants the database holds by itself, whoever writes: a direct INSERT by the owner is
-- checked exactly like ledger.post_journal(). Row checks run at insert; the checks that
-- need the whole journal are constraint triggers deferred to commit (the posting path checks
-- its own journals inline, so that a batch can isolate a failure, and skips them).
-- depends: 0002_core_tables

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

-- Journals, legs and idempotency sentinels are history: never updated, deleted or
-- truncated. A mistake is corrected by a reversal journal.
CREATE FUNCTION ledger_private.refuse_history_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'DX017',
        MESSAGE = format('%s is append-only: %s is not allowed', TG_TABLE_NAME, TG_OP),
        DETAIL = 'Journals, legs and idempotency keys are permanent history.',
        HINT = 'Correct a posting with ledger.reverse_journal().';
END
$$;

CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON ledger_private.journal
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON ledger_private.journal
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER leg_append_only BEFORE UPDATE OR DELETE ON ledger_private.leg
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER leg_no_truncate BEFORE TRUNCATE ON ledger_private.leg
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER sentinel_append_only BEFORE UPDATE OR DELETE ON ledger_private.idempotency_sentinel
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER sentinel_no_truncate BEFORE TRUNCATE ON ledger_private.idempotency_sentinel
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();

-- Accounts are never deleted (legs refer to them) and their identity never changes:
-- tenant, code, currency, type and balance policy are fixed at creation.
CREATE FUNCTION ledger_private.account_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX017',
            MESSAGE = format('accounts cannot be removed: %s is not allowed', TG_OP),
            HINT = 'Close the account with ledger.set_account_status() instead.';
    END IF;
    IF (NEW.tenant, NEW.code, NEW.ccy, NEW.type, NEW.allow_negative)
        IS DISTINCT FROM (OLD.tenant, OLD.code, OLD.ccy, OLD.type, OLD.allow_negative) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX017',
            MESSAGE = format('account %s: tenant, code, ccy, type and allow_negative are immutable',
                             OLD.code),
            HINT = 'Open a new account and move the balance with a journal.';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER account_identity_fixed BEFORE UPDATE OR DELETE ON ledger_private.account
    FOR EACH ROW EXECUTE FUNCTION ledger_private.account_guard();
CREATE TRIGGER account_no_truncate BEFORE TRUNCATE ON ledger_private.account
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.account_guard();

-- A journal being written keeps its state in a transaction-local setting: tenant, effective
-- date, number of legs and, per currency, debits minus credits. Legs and the commit checks
-- read that state, not the tables. Why: under SERIALIZABLE, reading the journal or leg
-- primary key takes a predicate lock on its newest page, the very page every concurrent
-- posting inserts into (journal ids are time-ordered), which would turn unrelated postings
-- into serialization failures. The n-th journal of a transaction uses the setting
-- doublex.journal_<n> (doublex.journal_count says how many): a small set of names reused by
-- every transaction, because each new setting name stays in the session for good. Settings
-- end with their transaction (or rolled-back subtransaction), so a leg can join only a
-- journal created by its own transaction.
--
-- The posting path (ledger_private.post_journal_request and the batch) checks the journals
-- it writes itself, right after writing them: two or more legs, balanced per currency, the
-- non-negative policy. While it writes, it sets doublex.checked_inline = 'on' (and clears it
-- before returning): the journal's state records that the posting path vouches for it,
-- its legs skip the per-leg state bookkeeping, and the deferred constraint triggers are not
-- even queued (their WHEN clause), so a posting pays for its checks once. Anything written
-- while the flag is off (a direct INSERT by the owner, a leg added to a posted journal later
-- in the transaction) keeps every check below.
CREATE FUNCTION ledger_private.journal_slot(p_journal_id uuid) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_count integer := coalesce(nullif(current_setting('doublex.journal_count', true), ''), '0')::integer;
    v_hint integer := least(coalesce(nullif(current_setting('doublex.journal_hint', true), ''), '0')::integer,
                            v_count);
    v_id text := p_journal_id::text;
    v_state text;
BEGIN
    -- Legs follow their journal, so the newest slot is almost always the one. A batch writes
    -- its journals first and their legs next, in the same order, and commit-time checks
    -- come in insertion order too: the slot found last (the hint), or the one after it, is
    -- then the one, which keeps those lookups O(1) instead of a newest-first scan per leg.
    -- A slot is parsed only when its text contains the id.
    FOR v_slot IN greatest(v_hint, 1)..least(v_hint + 1, v_count) LOOP
        v_state := current_setting('doublex.journal_' || v_slot);
        IF strpos(v_state, v_id) > 0 AND v_state::jsonb ->> 'id' = v_id THEN
            IF v_slot <> v_hint THEN
                PERFORM set_config('doublex.journal_hint', v_slot::text, true);
            END IF;
            RETURN v_slot;
        END IF;
    END LOOP;
    FOR v_slot IN REVERSE v_count..1 LOOP
        v_state := current_setting('doublex.journal_' || v_slot);
        IF strpos(v_state, v_id) > 0 AND v_state::jsonb ->> 'id' = v_id THEN
            PERFORM set_config('doublex.journal_hint', v_slot::text, true);
            RETURN v_slot;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE FUNCTION ledger_private.journal_state(p_slot integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT current_setting('doublex.journal_' || p_slot)::jsonb
$$;

CREATE FUNCTION ledger_private.journal_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_slot integer := coalesce(nullif(current_setting('doublex.journal_count', true), ''), '0')::integer + 1;
BEGIN
    -- Balances read checkpoints below the watermark and legs above it by txid: the journal
    -- and its legs carry the writing transaction's id, whatever the INSERT said.
    NEW.txid := (pg_current_xact_id()::text)::bigint;
    PERFORM set_config('doublex.journal_count', v_slot::text, true);
    PERFORM set_config(
        'doublex.journal_' || v_slot,
        jsonb_build_object('id', NEW.journal_id, 'tenant', NEW.tenant,
                           'effective_date', NEW.effective_date, 'legs', 0, 'checked_legs', 0,
                           'net', '{}'::jsonb, 'constrained', '[]'::jsonb,
                           'vouched', current_setting('doublex.checked_inline', true) = 'on')::text,
        true);
    RETURN NEW;
END
$$;

CREATE TRIGGER journal_opened BEFORE INSERT ON ledger_private.journal
    FOR EACH ROW EXECUTE FUNCTION ledger_private.journal_before_insert();

-- Row checks on every leg, whoever writes it (the posting path included): it joins a
-- journal of the current transaction, takes that journal's tenant, date and txid, and posts
-- to an active account of that tenant in the account's currency with no more decimals than
-- the currency has. The amount is stored at the currency's scale so that it reads back as
-- "4500.00", never "4500". Outside the posting path (doublex.checked_inline not 'on') the
-- leg is also added to its journal's state for the commit checks.
CREATE FUNCTION ledger_private.leg_before_insert() RETURNS trigger
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
    -- Legs follow their journal: the newest slot, else the slot of the previous leg (the
    -- hint, see journal_slot), is almost always the one; a slot is parsed only when its text
    -- holds the id. Otherwise journal_slot searches every slot of the transaction.
    v_text := current_setting('doublex.journal_' || v_slot, true);
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

    SELECT a.code, a.ccy, a.status, a.allow_negative, c.exponent INTO v_account
      FROM ledger_private.account AS a
      LEFT JOIN ledger_private.currency AS c ON c.code = NEW.ccy
     WHERE a.account_id = NEW.account_id AND a.tenant = NEW.tenant;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX006', COLUMN = format('legs[%s].account', NEW.leg_no - 1),
            MESSAGE = format('legs[%s].account: no account with id %s in tenant %s',
                             NEW.leg_no - 1, NEW.account_id, NEW.tenant);
    END IF;
    IF v_account.exponent IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX005', COLUMN = format('legs[%s].ccy', NEW.leg_no - 1),
            MESSAGE = format('legs[%s].ccy: unknown currency %s', NEW.leg_no - 1, NEW.ccy),
            HINT = 'Use an ISO 4217 code such as EUR, USD or JPY.';
    END IF;
    IF NEW.ccy <> v_account.ccy THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX008', COLUMN = format('legs[%s].ccy', NEW.leg_no - 1),
            MESSAGE = format('legs[%s].ccy: account %s holds %s, the leg is in %s',
                             NEW.leg_no - 1, v_account.code, v_account.ccy, NEW.ccy),
            HINT = 'A cross-currency movement is an FX settlement through clearing accounts.';
    END IF;
    IF v_account.status <> 'active' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX007', COLUMN = format('legs[%s].account', NEW.leg_no - 1),
            MESSAGE = format('legs[%s].account: account %s is %s; only active accounts post',
                             NEW.leg_no - 1, v_account.code, v_account.status);
    END IF;
    IF scale(NEW.amount) > v_account.exponent THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX004', COLUMN = format('legs[%s].amount', NEW.leg_no - 1),
            MESSAGE = format('legs[%s].amount: %s has more decimals than %s allows (%s)',
                             NEW.leg_no - 1, NEW.amount, NEW.ccy, v_account.exponent),
            HINT = 'Amounts are never rounded silently; send the exact amount in minor units.';
    END IF;
    NEW.amount := round(NEW.amount, v_account.exponent);

    IF current_setting('doublex.checked_inline', true) IS DISTINCT FROM 'on' THEN
        v_net := coalesce((v_state -> 'net' ->> NEW.ccy)::numeric, 0)
                 + CASE NEW.side WHEN 'debit' THEN NEW.amount ELSE -NEW.amount END;
        v_state := jsonb_set(v_state, '{legs}', to_jsonb((v_state ->> 'legs')::integer + 1));
        v_state := jsonb_set(v_state, ARRAY['net', NEW.ccy], to_jsonb(v_net));
        IF NOT v_account.allow_negative THEN
            -- The commit check reads balances only for these (the policy never changes).
            v_state := jsonb_set(v_state, '{constrained}',
                                 (v_state -> 'constrained') || to_jsonb(NEW.account_id));
        END IF;
        PERFORM set_config('doublex.journal_' || v_slot, v_state::text, true);
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER leg_checked BEFORE INSERT ON ledger_private.leg
    FOR EACH ROW EXECUTE FUNCTION ledger_private.leg_before_insert();

-- At commit: a journal has at least two legs and, per currency, debits equal credits.
-- Checked once for the journal (a journal without legs fires no leg trigger) and again for
-- every leg, so that a leg added after an early check (SET CONSTRAINTS … IMMEDIATE) is
-- checked too. Both read the journal's transaction-local state, which every leg written
-- outside the posting path updated. A journal written by the posting path is marked
-- 'vouched' by its trigger (the flag was on): its own legs were checked there and are not
-- in its state, so the state holds exactly the legs added since, and those must net to
-- zero per currency.
CREATE FUNCTION ledger_private.check_journal_balanced(p_journal_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_slot integer := ledger_private.journal_slot(p_journal_id);
    v_state jsonb := CASE WHEN v_slot IS NOT NULL THEN ledger_private.journal_state(v_slot) END;
    v_legs integer := coalesce((v_state ->> 'legs')::integer, 0);
    v_unbalanced text;
BEGIN
    IF v_legs = (v_state ->> 'checked_legs')::integer
       AND (v_legs >= 2 OR (v_state ->> 'vouched')::boolean) THEN
        RETURN;  -- checked already, and no leg has arrived since
    END IF;
    -- A journal the posting path vouches for had its legs checked there (at least two,
    -- balanced): its state counts only the legs added since, whose nets must be zero.
    IF v_legs < 2 AND NOT coalesce((v_state ->> 'vouched')::boolean, false) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX002', COLUMN = 'legs',
            MESSAGE = format('legs: journal %s has %s leg(s); a journal needs at least two',
                             p_journal_id, v_legs);
    END IF;
    -- The nets are exact jsonb numbers; a jsonpath test needs no query on the usual path.
    IF NOT jsonb_path_exists(v_state -> 'net', '$.* ? (@ != 0)') THEN
        PERFORM set_config('doublex.journal_' || v_slot,
                           jsonb_set(v_state, '{checked_legs}', to_jsonb(v_legs))::text, true);
        RETURN;
    END IF;
    SELECT string_agg(format('%s (debits − credits = %s)', n.key, n.value), ', ' ORDER BY n.key)
      INTO v_unbalanced
      FROM jsonb_each_text(v_state -> 'net') AS n
     WHERE n.value::numeric <> 0;
    PERFORM ledger_private.raise_unbalanced(p_journal_id, v_unbalanced);
END
$$;

-- DX009 for a journal whose debits and credits differ in the currencies listed.
CREATE FUNCTION ledger_private.raise_unbalanced(p_journal_id uuid, p_unbalanced text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'DX009', COLUMN = 'legs',
        MESSAGE = 'legs: debits and credits differ in ' || p_unbalanced,
        DETAIL = format('journal %s', p_journal_id),
        HINT = 'Per currency, the debit amounts must add up to the credit amounts.';
END
$$;

-- DX010 when an account with allow_negative = false is below zero on its normal side, for
-- the leg (leg_no) that posted to it. That balance read is exact under concurrency because
-- it takes SSI predicate locks on the account's recent legs: two postings that both read
-- and both write them cannot both commit.
CREATE FUNCTION ledger_private.check_not_negative(p_account_id bigint, p_leg_no integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_account record;
    v_balance numeric;
BEGIN
    SELECT a.code, a.normal_side INTO v_account
      FROM ledger_private.account AS a WHERE a.account_id = p_account_id;
    SELECT CASE WHEN v_account.normal_side = 'debit' THEN t.debits - t.credits
                ELSE t.credits - t.debits END
      INTO v_balance
      FROM ledger_private.account_totals(p_account_id) AS t;
    IF v_balance < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX010', COLUMN = format('legs[%s].amount', p_leg_no - 1),
            MESSAGE = format('legs[%s].amount: insufficient funds on %s (balance would be %s)',
                             p_leg_no - 1, v_account.code, v_balance),
            DETAIL = format('account %s may not go below zero', v_account.code);
    END IF;
END
$$;

CREATE FUNCTION ledger_private.journal_check_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_private.check_journal_balanced(NEW.journal_id);
    RETURN NULL;
END
$$;

-- WHEN is evaluated as the row is written, not at commit: rows the posting path writes
-- (and checks itself) queue no event at all.
CREATE CONSTRAINT TRIGGER journal_balanced AFTER INSERT ON ledger_private.journal
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (current_setting('doublex.checked_inline', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION ledger_private.journal_check_balanced();

-- At commit, for every leg: its journal is still balanced, and an account with
-- allow_negative = false is not below zero on its normal side.
CREATE FUNCTION ledger_private.leg_commit_checks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_private.check_journal_balanced(NEW.journal_id);
    IF ledger_private.journal_state(ledger_private.journal_slot(NEW.journal_id))
           -> 'constrained' @> to_jsonb(NEW.account_id) THEN
        PERFORM ledger_private.check_not_negative(NEW.account_id, NEW.leg_no);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER leg_checked_at_commit AFTER INSERT ON ledger_private.leg
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (current_setting('doublex.checked_inline', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION ledger_private.leg_commit_checks();

RESET ROLE;
