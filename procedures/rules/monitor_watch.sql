-- ledger_private.monitor_watch() → trigger (deferred, at commit): evaluates the balance
-- monitors of the accounts a change moved (ledger_private.evaluate_monitors), in the
-- transaction of the change, once the whole change is written: a leg (postings, captures,
-- reversals, FX), a hold leg (a new hold reduces `available`), a hold resolution (capture,
-- void, and the expiry sweep: every account of the hold's legs). The row goes along as the
-- cause, whose actor the events name (evaluate_monitors looks it up only to fire). Declared
-- in migrations/0022_balance_monitors.sql, only for tenants with monitors (its WHEN).
-- SECURITY DEFINER (the owner's, who may read the monitors and write to PgQ): a deferred
-- trigger fires at COMMIT, after the API function returned, as the caller's role. The row
-- is read as JSON: one function serves three tables (and plpgsql_check checks every branch
-- against the table it is declared on first).

CREATE OR REPLACE FUNCTION ledger_private.monitor_watch() RETURNS trigger
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

COMMENT ON FUNCTION ledger_private.monitor_watch() IS
    'Constraint trigger (deferred): evaluates the balance monitors of the accounts a change moved';
