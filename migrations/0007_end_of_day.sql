-- End of day: per-tenant ledger settings (time zone, cut-off) and the close boundary,
-- business-day closes with per-account snapshots, trial balances and a chained seal, and
-- the backdating guard on every journal insert.
-- depends: 0006_schema_state

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

-- One row per tenant that has settings or has closed a date. Postings read it (the default
-- effective date, the guard) and never write it: only ledger.set_ledger_settings() and
-- ledger.eod_close() do, so postings never conflict with each other over it. A tenant
-- without a row has the defaults (UTC, cut-off 00:00) and no closed date.
CREATE TABLE ledger_private.ledger_settings (
    tenant         text PRIMARY KEY,
    time_zone      text NOT NULL DEFAULT 'UTC',
    cutoff         time NOT NULL DEFAULT '00:00',
    closed_through date,
    last_closed_at timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_settings_tenant_format CHECK (tenant ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    CONSTRAINT ledger_settings_cutoff_in_day CHECK (cutoff < '24:00'),
    CONSTRAINT ledger_settings_closed_finite CHECK (isfinite(closed_through))
);

-- One row per closed business date: when, what it covered, and the seal: SHA-256 over the
-- previous close's seal and the date's journals and legs in a canonical order
-- (ledger_private.day_seal).
CREATE TABLE ledger_private.day_close (
    tenant        text NOT NULL,
    business_date date NOT NULL,
    closed_at     timestamptz NOT NULL,
    journals      bigint NOT NULL,
    legs          bigint NOT NULL,
    accounts      bigint NOT NULL,
    seal          bytea NOT NULL,
    previous_seal bytea NOT NULL,
    PRIMARY KEY (tenant, business_date),
    CONSTRAINT day_close_seal_length CHECK (octet_length(seal) = 32)
);

-- Per account and closed date (every account that exists at the close, moved or not):
-- opening balance, the day's debits and credits, closing balance (normal side), and the
-- cumulative debit and credit totals through that date. An account opened after a close has
-- no row for it: it had no legs then (the backdating guard).
CREATE TABLE ledger_private.account_snapshot (
    account_id      bigint NOT NULL REFERENCES ledger_private.account (account_id),
    business_date   date NOT NULL,
    tenant          text NOT NULL,
    opening_balance numeric NOT NULL,
    debits          numeric NOT NULL,
    credits         numeric NOT NULL,
    closing_balance numeric NOT NULL,
    total_debits    numeric NOT NULL,
    total_credits   numeric NOT NULL,
    PRIMARY KEY (account_id, business_date)
);

-- Per closed date and currency: the day's debits and credits and the cumulative totals of
-- every leg through that date. The totals net to zero (checked by the close, DX028).
CREATE TABLE ledger_private.trial_balance (
    tenant        text NOT NULL,
    business_date date NOT NULL,
    ccy           text NOT NULL,
    debits        numeric NOT NULL,
    credits       numeric NOT NULL,
    total_debits  numeric NOT NULL,
    total_credits numeric NOT NULL,
    PRIMARY KEY (tenant, business_date, ccy)
);

-- Closes are history: never updated, deleted or truncated.
CREATE TRIGGER day_close_append_only BEFORE UPDATE OR DELETE ON ledger_private.day_close
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER day_close_no_truncate BEFORE TRUNCATE ON ledger_private.day_close
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER account_snapshot_append_only BEFORE UPDATE OR DELETE ON ledger_private.account_snapshot
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER account_snapshot_no_truncate BEFORE TRUNCATE ON ledger_private.account_snapshot
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER trial_balance_append_only BEFORE UPDATE OR DELETE ON ledger_private.trial_balance
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER trial_balance_no_truncate BEFORE TRUNCATE ON ledger_private.trial_balance
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();

-- The transaction id of the latest close, set just before it commits (closes publish one
-- at a time, in commit order), and of the latest committed close before it. Sequences are
-- read outside any snapshot: a posting compares these with its own snapshot to learn that
-- a close committed after it began (sql/README.md, "End of day"). While the latest is still
-- committing (or if it rolled back), the prior one is the one to compare: postings never
-- wait for a close that does not fence their date.
CREATE SEQUENCE ledger_private.close_publication AS bigint MINVALUE 0 START WITH 0;
CREATE SEQUENCE ledger_private.close_publication_prior AS bigint MINVALUE 0 START WITH 0;

-- The fence key of a date: closes hold it exclusively while they run, postings share it.
-- Dates within 64 days after the tenant's closed date have a key of their own; every other
-- date (and every date of a tenant that never closed) shares the tenant's wide key.
CREATE FUNCTION ledger_private.close_fence_key(p_tenant text, p_date date, p_closed_through date)
RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT (hashtext('doublex.close_fence/' || p_tenant)::bigint << 32)
           | CASE WHEN p_date - p_closed_through BETWEEN 1 AND 64
                  THEN (p_date - p_closed_through)::bigint ELSE 0 END
$$;

-- Did a close commit that this transaction's snapshot does not show? The latest close to
-- publish (close_publication) is checked; while it is still committing, or if it rolled
-- back, the one before it (close_publication_prior, always a committed close or 0) is.
-- Only called when the snapshot does not show the latest close: just after a close.
CREATE FUNCTION ledger_private.close_missed() RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_snapshot pg_snapshot := pg_current_snapshot();
    v_own bigint := (pg_current_xact_id_if_assigned()::text)::bigint;
    v_latest bigint := coalesce(pg_sequence_last_value('ledger_private.close_publication'), 0);
    v_prior bigint := coalesce(pg_sequence_last_value('ledger_private.close_publication_prior'), 0);
BEGIN
    IF v_latest = 0 OR v_latest = v_own OR pg_visible_in_snapshot(v_latest::text::xid8, v_snapshot) THEN
        RETURN false;
    END IF;
    IF pg_xact_status(v_latest::text::xid8) = 'committed' THEN
        RETURN true;
    END IF;
    RETURN v_prior <> 0 AND v_prior IS DISTINCT FROM v_own
           AND NOT pg_visible_in_snapshot(v_prior::text::xid8, v_snapshot);
END
$$;

-- The backdating guard, on every journal insert (single, batch, reversal, and whatever
-- posting kind comes later, direct INSERTs by the owner too):
--   1. a date on or before the tenant's closed date is refused (DX025);
--   2. the date's fence key is taken shared: a running close of that date holds it
--      exclusively, so the posting waits for the close's outcome, and a close waits for
--      postings of its dates that got here first (they commit before it reads);
--   3. a close that committed after this transaction's snapshot was taken (so step 1 read
--      an old boundary) makes the posting retry on a fresh snapshot (40001).
-- Reads one row nobody but closes and settings write, two sequences and a shared lock: no
-- write, no conflict between postings, no wait unless a close fences the posting's date.
CREATE FUNCTION ledger_private.journal_date_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_closed_through date;
    v_published bigint;
BEGIN
    IF NOT isfinite(NEW.effective_date) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX029', COLUMN = 'effective_date',
            MESSAGE = format('effective_date: %s is not a business date', NEW.effective_date),
            HINT = 'Use a finite date (YYYY-MM-DD).';
    END IF;
    SELECT s.closed_through INTO v_closed_through
      FROM ledger_private.ledger_settings AS s WHERE s.tenant = NEW.tenant;
    IF NEW.effective_date <= v_closed_through THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX025', COLUMN = 'effective_date',
            MESSAGE = format('effective_date: business date %s is closed in tenant %s (closed through %s)',
                             NEW.effective_date, NEW.tenant, v_closed_through),
            DETAIL = 'Postings may not be dated on or before the latest closed business date.',
            HINT = 'Post with a later date, or leave effective_date out to get the next open date.';
    END IF;
    PERFORM pg_advisory_xact_lock_shared(
        ledger_private.close_fence_key(NEW.tenant, NEW.effective_date, v_closed_through));
    -- The common case in one test: this snapshot shows the latest close.
    v_published := pg_sequence_last_value('ledger_private.close_publication');
    IF v_published > 0
       AND NOT pg_visible_in_snapshot(v_published::text::xid8, pg_current_snapshot())
       AND ledger_private.close_missed() THEN
        RAISE EXCEPTION USING
            ERRCODE = 'serialization_failure',
            MESSAGE = 'a business-day close committed while this posting ran',
            HINT = 'Retry the transaction: it will see the new closed date.';
    END IF;
    RETURN NEW;
END
$$;

-- Fires before journal_opened (triggers fire in name order): a refused journal opens no
-- state.
CREATE TRIGGER journal_date_guard BEFORE INSERT ON ledger_private.journal
    FOR EACH ROW EXECUTE FUNCTION ledger_private.journal_date_guard();

-- API row types -------------------------------------------------------------------------

CREATE TYPE ledger.eod_status AS (
    tenant             text,
    time_zone          text,
    cutoff             time,
    business_date      date,
    latest_closed_date date,
    last_closed_at     timestamptz,
    last_seal          text,
    open_dates         date[],
    next_posting_date  date
);
COMMENT ON TYPE ledger.eod_status IS
    'A tenant''s business calendar: settings, current business date, closes and open dates';

CREATE TYPE ledger.day_close AS (
    business_date date,
    closed_at     timestamptz,
    journals      bigint,
    legs          bigint,
    accounts      bigint,
    seal          text,
    previous_seal text,
    trial_balance jsonb
);
COMMENT ON TYPE ledger.day_close IS
    'A closed business date: counts, seal (hex SHA-256) and trial balance per currency';

CREATE TYPE ledger.balance_history_entry AS (
    account         text,
    ccy             text,
    business_date   date,
    opening_balance numeric,
    debits          numeric,
    credits         numeric,
    closing_balance numeric
);

CREATE TYPE ledger.seal_problem AS (
    business_date date,
    problem       text,
    stored_seal   text,
    computed_seal text
);

RESET ROLE;
