-- Holds and limits (issue #17): pending funds that are reserved before they are posted,
-- and per-account balance limits.
--
-- 1. account.min_balance / max_balance (NULL: no limit). The floor an account keeps is
--    min_balance when set, else 0 when allow_negative = false (so allow_negative = false
--    still means min_balance = 0 for every existing caller), else none; a credit limit of
--    500 is min_balance = -500. Limits are checked on the *available* balance: posted
--    minus the pending hold legs that reduce it (procedures/private/position_of_account.sql).
-- 2. hold, hold_leg: a balanced set of legs reserved, not posted. hold_resolution: at most
--    one per hold (its primary key), so capture, void and expiry are exclusive by
--    construction: 'captured' (the journal is the one with idempotency key hold:<hold_id>),
--    'voided', or 'expired' (written by the sweep; a hold past expires_at counts as released
--    whether or not the sweep has run). All three tables are append-only (DX017).
-- 3. Idempotency keys: a hold's key is unique per tenant among holds (hold_key_per_tenant),
--    a capture's or void's key unique per tenant among resolutions; neither touches the
--    journal keys (idempotency_sentinel), so the same string may name a journal, a hold and
--    a capture.
-- Trigger functions are re-applied from procedures/rules/ by post-apply.
-- depends: 0016_demo_tenants_and_posting_limits

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

ALTER TABLE ledger_private.account ADD COLUMN min_balance numeric;
ALTER TABLE ledger_private.account ADD COLUMN max_balance numeric;
ALTER TABLE ledger_private.account ADD CONSTRAINT account_limits_ordered
    CHECK (min_balance IS NULL OR max_balance IS NULL OR min_balance <= max_balance) NOT VALID;
-- The columns were added just above, all NULL: validating scans a table with nothing to find.
-- squawk-ignore constraint-missing-not-valid
ALTER TABLE ledger_private.account VALIDATE CONSTRAINT account_limits_ordered;

CREATE TABLE ledger_private.hold (
    hold_id         uuid PRIMARY KEY,
    tenant          text NOT NULL,
    idempotency_key text NOT NULL,
    fingerprint     bytea NOT NULL,
    expires_at      timestamptz,
    memo            text,
    ref             text,
    metadata        jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      text NOT NULL,
    CONSTRAINT hold_key_per_tenant UNIQUE (tenant, idempotency_key),
    CONSTRAINT hold_key_length CHECK (char_length(idempotency_key) BETWEEN 1 AND 255),
    CONSTRAINT hold_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
);

-- No foreign keys, for the reasons legs have none (0002): the row trigger checks the hold
-- (of this transaction) and the account.
CREATE TABLE ledger_private.hold_leg (
    hold_id    uuid NOT NULL,
    leg_no     smallint NOT NULL,
    tenant     text NOT NULL,
    account_id bigint NOT NULL,
    side       text NOT NULL,
    amount     numeric NOT NULL,
    ccy        text NOT NULL,
    PRIMARY KEY (hold_id, leg_no),
    CONSTRAINT hold_leg_no_positive CHECK (leg_no >= 1),
    CONSTRAINT hold_leg_side_known CHECK (side IN ('debit', 'credit')),
    CONSTRAINT hold_leg_amount_positive CHECK (amount > 0)
);
CREATE INDEX hold_leg_by_account ON ledger_private.hold_leg (account_id, hold_id);

CREATE TABLE ledger_private.hold_resolution (
    hold_id         uuid PRIMARY KEY,
    tenant          text NOT NULL,
    outcome         text NOT NULL,
    idempotency_key text,
    fingerprint     bytea,
    resolved_at     timestamptz NOT NULL DEFAULT now(),
    resolved_by     text NOT NULL,
    CONSTRAINT hold_resolution_outcome_known CHECK (outcome IN ('captured', 'voided', 'expired')),
    CONSTRAINT hold_resolution_keyed CHECK ((outcome = 'expired') = (idempotency_key IS NULL)),
    CONSTRAINT hold_resolution_key_per_tenant UNIQUE (tenant, idempotency_key)
);

CREATE INDEX hold_by_tenant ON ledger_private.hold (tenant, hold_id);
-- The expiry sweep (ledger.expire_holds) finds the holds that can expire.
CREATE INDEX hold_expiring ON ledger_private.hold (tenant, expires_at) WHERE expires_at IS NOT NULL;

CREATE TRIGGER hold_append_only BEFORE UPDATE OR DELETE ON ledger_private.hold
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER hold_no_truncate BEFORE TRUNCATE ON ledger_private.hold
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER hold_leg_append_only BEFORE UPDATE OR DELETE ON ledger_private.hold_leg
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER hold_leg_no_truncate BEFORE TRUNCATE ON ledger_private.hold_leg
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER hold_resolution_append_only BEFORE UPDATE OR DELETE ON ledger_private.hold_resolution
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER hold_resolution_no_truncate BEFORE TRUNCATE ON ledger_private.hold_resolution
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();

-- The hold leg triggers: row checks at insert, the limits at commit (skipped for the rows
-- ledger.create_hold checks itself, as for legs). Real bodies, the ones in procedures/rules/.
CREATE FUNCTION ledger_private.hold_leg_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT h.tenant INTO NEW.tenant FROM ledger_private.hold AS h WHERE h.hold_id = NEW.hold_id;
    IF NOT FOUND THEN
        PERFORM ledger_private.raise_leg_error(
            'DX021', NEW.leg_no, 'hold_id', format('no hold %s', NEW.hold_id));
    END IF;
    NEW.amount := ledger_private.checked_leg_amount(NEW.tenant, NEW.account_id, NEW.leg_no,
                                                    NEW.ccy, NEW.amount);
    RETURN NEW;
END
$$;

CREATE FUNCTION ledger_private.hold_leg_commit_checks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_private.check_account_limits(NEW.account_id, NEW.leg_no);
    RETURN NULL;
END
$$;

CREATE TRIGGER hold_leg_checked BEFORE INSERT ON ledger_private.hold_leg
    FOR EACH ROW EXECUTE FUNCTION ledger_private.hold_leg_before_insert();
CREATE CONSTRAINT TRIGGER hold_leg_checked_at_commit AFTER INSERT ON ledger_private.hold_leg
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (current_setting('doublex.checked_inline', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION ledger_private.hold_leg_commit_checks();

-- The API's result types.
CREATE TYPE ledger.hold_result AS (
    hold_id    uuid,
    status     text,
    expires_at timestamptz,
    created_at timestamptz
);
COMMENT ON TYPE ledger.hold_result IS 'A created hold: status pending, or duplicate on replay';

CREATE TYPE ledger.hold_resolution_result AS (
    hold_id        uuid,
    status         text,
    journal_id     uuid,
    effective_date date,
    resolved_at    timestamptz
);
COMMENT ON TYPE ledger.hold_resolution_result IS
    'A capture (status captured, with its journal) or void (voided), or duplicate on replay';

CREATE TYPE ledger.hold_info AS (
    hold_id     uuid,
    status      text,
    expires_at  timestamptz,
    memo        text,
    ref         text,
    metadata    jsonb,
    legs        jsonb,
    created_at  timestamptz,
    created_by  text,
    journal_id  uuid,
    resolved_at timestamptz,
    resolved_by text
);
COMMENT ON TYPE ledger.hold_info IS
    'A hold: status pending, captured, voided or expired, its legs and its resolution';

CREATE TYPE ledger.available_balance AS (
    account         text,
    ccy             text,
    posted          numeric,
    pending_debits  numeric,
    pending_credits numeric,
    available       numeric,
    min_balance     numeric,
    max_balance     numeric
);
COMMENT ON TYPE ledger.available_balance IS
    'Posted balance (normal side), pending hold legs and the available balance limits apply to';

RESET ROLE;
