-- Invariants the database holds by itself, whoever writes: a direct INSERT by the owner is
-- checked exactly like ledger.post_journal(). Row checks run at insert; the checks that
-- need the whole journal are constraint triggers deferred to commit (post_journal fires
-- them early with SET CONSTRAINTS … IMMEDIATE so that a batch can isolate a failure).
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
CREATE FUNCTION ledger_private.journal_slot(p_journal_id uuid) RETURNS integer
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_count integer := coalesce(nullif(current_setting('doublex.journal_count', true), ''), '0')::integer;
BEGIN
    -- Legs follow their journal, so the newest slot is almost always the one.
    FOR v_slot IN REVERSE v_count..1 LOOP
        IF current_setting('doublex.journal_' || v_slot)::jsonb ->> 'id' = p_journal_id::text THEN
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
                           'net', '{}'::jsonb, 'constrained', '[]'::jsonb)::text,
        true);
    RETURN NEW;
END
$$;

CREATE TRIGGER journal_opened BEFORE INSERT ON ledger_private.journal
    FOR EACH ROW EXECUTE FUNCTION ledger_private.journal_before_insert();

-- Row checks on every leg: it joins a journal of the current transaction, takes that
-- journal's tenant, date and txid, and posts to an active account of that tenant in the
-- account's currency with no more decimals than the currency has. The amount is stored at
-- the currency's scale so that it reads back as "4500.00", never "4500".
CREATE FUNCTION ledger_private.leg_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_field text := format('legs[%s]', NEW.leg_no - 1);
    v_slot integer := ledger_private.journal_slot(NEW.journal_id);
    v_state jsonb;
    v_account record;
    v_exponent smallint;
    v_net numeric;
BEGIN
    IF v_slot IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX021',
            MESSAGE = format('leg %s: journal %s was not created by this transaction',
                             NEW.leg_no, NEW.journal_id),
            DETAIL = 'A journal and all its legs are written in one transaction.',
            HINT = 'Post a new journal instead of adding legs to an existing one.';
    END IF;
    v_state := ledger_private.journal_state(v_slot);
    NEW.tenant := v_state ->> 'tenant';
    NEW.effective_date := (v_state ->> 'effective_date')::date;
    NEW.txid := (pg_current_xact_id()::text)::bigint;

    SELECT a.code, a.ccy, a.status, a.allow_negative, c.exponent INTO v_account
      FROM ledger_private.account AS a
      LEFT JOIN ledger_private.currency AS c ON c.code = NEW.ccy
     WHERE a.account_id = NEW.account_id AND a.tenant = NEW.tenant;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX006', COLUMN = v_field || '.account',
            MESSAGE = format('%s.account: no account with id %s in tenant %s',
                             v_field, NEW.account_id, NEW.tenant);
    END IF;
    v_exponent := v_account.exponent;
    IF v_exponent IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX005', COLUMN = v_field || '.ccy',
            MESSAGE = format('%s.ccy: unknown currency %s', v_field, NEW.ccy),
            HINT = 'Use an ISO 4217 code such as EUR, USD or JPY.';
    END IF;
    IF NEW.ccy <> v_account.ccy THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX008', COLUMN = v_field || '.ccy',
            MESSAGE = format('%s.ccy: account %s holds %s, the leg is in %s',
                             v_field, v_account.code, v_account.ccy, NEW.ccy),
            HINT = 'A cross-currency movement is an FX settlement through clearing accounts.';
    END IF;
    IF v_account.status <> 'active' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX007', COLUMN = v_field || '.account',
            MESSAGE = format('%s.account: account %s is %s; only active accounts post',
                             v_field, v_account.code, v_account.status);
    END IF;
    IF scale(NEW.amount) > v_exponent THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX004', COLUMN = v_field || '.amount',
            MESSAGE = format('%s.amount: %s has more decimals than %s allows (%s)',
                             v_field, NEW.amount, NEW.ccy, v_exponent),
            HINT = 'Amounts are never rounded silently; send the exact amount in minor units.';
    END IF;
    NEW.amount := round(NEW.amount, v_exponent);

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
    RETURN NEW;
END
$$;

CREATE TRIGGER leg_checked BEFORE INSERT ON ledger_private.leg
    FOR EACH ROW EXECUTE FUNCTION ledger_private.leg_before_insert();

-- At commit: a journal has at least two legs and, per currency, debits equal credits.
-- Checked once for the journal (a journal without legs fires no leg trigger) and again for
-- every leg, so that a leg added after an early check (SET CONSTRAINTS … IMMEDIATE) is
-- checked too. Both read the journal's transaction-local state, which every leg updated.
CREATE FUNCTION ledger_private.check_journal_balanced(p_journal_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_slot integer := ledger_private.journal_slot(p_journal_id);
    v_state jsonb := CASE WHEN v_slot IS NOT NULL THEN ledger_private.journal_state(v_slot) END;
    v_legs integer := coalesce((v_state ->> 'legs')::integer, 0);
    v_unbalanced text;
BEGIN
    IF v_legs >= 2 AND v_legs = (v_state ->> 'checked_legs')::integer THEN
        RETURN;  -- checked already, and no leg has arrived since
    END IF;
    IF v_legs < 2 THEN
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
    IF v_unbalanced IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX009', COLUMN = 'legs',
            MESSAGE = 'legs: debits and credits differ in ' || v_unbalanced,
            DETAIL = format('journal %s', p_journal_id),
            HINT = 'Per currency, the debit amounts must add up to the credit amounts.';
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

CREATE CONSTRAINT TRIGGER journal_balanced AFTER INSERT ON ledger_private.journal
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_private.journal_check_balanced();

-- At commit, for every leg: its journal is still balanced, and an account with
-- allow_negative = false is not below zero on its normal side. That balance read is exact
-- under concurrency because it takes SSI predicate locks on the account's recent legs: two
-- postings that both read and both write them cannot both commit.
CREATE FUNCTION ledger_private.leg_commit_checks() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_account record;
    v_balance numeric;
BEGIN
    PERFORM ledger_private.check_journal_balanced(NEW.journal_id);
    IF NOT ledger_private.journal_state(ledger_private.journal_slot(NEW.journal_id))
           -> 'constrained' @> to_jsonb(NEW.account_id) THEN
        RETURN NULL;  -- the account may go negative: nothing to read
    END IF;
    SELECT a.code, a.normal_side INTO v_account
      FROM ledger_private.account AS a WHERE a.account_id = NEW.account_id;
    SELECT CASE WHEN v_account.normal_side = 'debit' THEN t.debits - t.credits
                ELSE t.credits - t.debits END
      INTO v_balance
      FROM ledger_private.account_totals(NEW.account_id) AS t;
    IF v_balance < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX010', COLUMN = format('legs[%s].amount', NEW.leg_no - 1),
            MESSAGE = format('legs[%s].amount: insufficient funds on %s (balance would be %s)',
                             NEW.leg_no - 1, v_account.code, v_balance),
            DETAIL = format('account %s may not go below zero', v_account.code);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER leg_checked_at_commit AFTER INSERT ON ledger_private.leg
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_private.leg_commit_checks();

RESET ROLE;
