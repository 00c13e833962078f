-- Balance monitors (issue #18): a condition on an account's available or posted balance,
-- announced once when it becomes true (monitor.triggered) and once when it stops being true
-- (monitor.resolved), in the transaction of the change that crossed it.
--
-- 1. ledger_private.monitor: one account (account_id) or every account of a type
--    (account_type) of the tenant; the field (available, posted), the condition (<, <=, >,
--    >=) and the threshold. Written by ledger.create_monitor, removed by
--    ledger.delete_monitor (with its states).
-- 2. ledger_private.monitor_state: per (monitor, account) whether the condition held at the
--    last evaluation. An evaluation fires an event only when it changes this row, and two
--    transactions that would both change it cannot both commit (the row's update is a
--    write-write conflict at SERIALIZABLE), so a crossing fires exactly once.
-- 3. The evaluation (ledger_private.evaluate_monitors) runs at commit, by the deferred
--    trigger ledger_private.monitor_watch on every writer that moves a balance: legs
--    (postings, captures), hold legs (holds) and hold resolutions (capture, void, the
--    expiry sweep). The triggers' WHEN asks ledger_private.tenant_has_monitors, so the
--    posting path of a tenant without monitors queues nothing: one index probe per leg.
-- The two functions a trigger declaration needs are created here with their real bodies,
-- the ones in procedures/ (post-apply re-applies them).
-- depends: 0021_webhooks

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

CREATE TABLE ledger_private.monitor (
    monitor_id   uuid PRIMARY KEY,
    tenant       text NOT NULL,
    account_id   bigint,
    account_type text,
    field        text NOT NULL,
    condition    text NOT NULL,
    threshold    numeric NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    CONSTRAINT monitor_one_scope CHECK ((account_id IS NULL) <> (account_type IS NULL)),
    CONSTRAINT monitor_field_known CHECK (field IN ('available', 'posted')),
    CONSTRAINT monitor_condition_known CHECK (condition IN ('<', '<=', '>', '>=')),
    CONSTRAINT monitor_account_type_known
        CHECK (account_type IN ('asset', 'liability', 'equity', 'income', 'expense'))
);
-- The hot path's probe (tenant_has_monitors) and the evaluation's lookup per account.
CREATE INDEX monitor_by_tenant ON ledger_private.monitor (tenant, account_id, account_type);

CREATE TABLE ledger_private.monitor_state (
    monitor_id   uuid NOT NULL REFERENCES ledger_private.monitor ON DELETE CASCADE,
    account_id   bigint NOT NULL,
    is_triggered boolean NOT NULL,
    value        numeric NOT NULL,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (monitor_id, account_id)
);

-- Whether the tenant has a monitor: the WHEN of the triggers below, evaluated per row as
-- the row is written (by the owner: only API functions and the owner write these tables).
CREATE FUNCTION ledger_private.tenant_has_monitors(p_tenant text) RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN EXISTS (SELECT FROM ledger_private.monitor AS m WHERE m.tenant = p_tenant);
END
$$;

CREATE FUNCTION ledger_private.monitor_watch() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_row jsonb := to_jsonb(NEW);
BEGIN
    IF TG_TABLE_NAME = 'hold_resolution' THEN
        PERFORM ledger_private.evaluate_monitors(hl.account_id, v_row)
           FROM (SELECT DISTINCT l.account_id FROM ledger_private.hold_leg AS l
                  WHERE l.hold_id = (v_row ->> 'hold_id')::uuid ORDER BY l.account_id) AS hl;
    ELSE
        PERFORM ledger_private.evaluate_monitors((v_row ->> 'account_id')::bigint, v_row);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER leg_monitor_watch AFTER INSERT ON ledger_private.leg
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (ledger_private.tenant_has_monitors(NEW.tenant))
    EXECUTE FUNCTION ledger_private.monitor_watch();
CREATE CONSTRAINT TRIGGER hold_leg_monitor_watch AFTER INSERT ON ledger_private.hold_leg
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (ledger_private.tenant_has_monitors(NEW.tenant))
    EXECUTE FUNCTION ledger_private.monitor_watch();
CREATE CONSTRAINT TRIGGER hold_resolution_monitor_watch AFTER INSERT ON ledger_private.hold_resolution
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (ledger_private.tenant_has_monitors(NEW.tenant))
    EXECUTE FUNCTION ledger_private.monitor_watch();

-- The API's result type.
CREATE TYPE ledger.monitor_info AS (
    monitor_id   uuid,
    account      text,
    account_type text,
    field        text,
    condition    text,
    threshold    numeric,
    triggered    text[],
    created_at   timestamptz,
    created_by   text
);
COMMENT ON TYPE ledger.monitor_info IS
    'A balance monitor: its scope (one account or a type), field, condition, threshold, and the accounts where it holds now';

RESET ROLE;
