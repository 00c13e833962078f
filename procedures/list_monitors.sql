-- ledger.list_monitors: the tenant's balance monitors, oldest first, each with the accounts
-- where its condition holds now (`triggered`).
--
--   SELECT * FROM ledger.list_monitors();
--
-- At most api_limit('monitors_max') rows, so one page. Capability read (or audit), on the
-- caller's own tenant (DX040–DX043, authorize first).

CREATE OR REPLACE FUNCTION ledger.list_monitors(
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.monitor_info
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant text := (ledger_private.authorize('read', list_monitors.tenant)).tenant;
BEGIN
    RETURN QUERY
        SELECT (ledger_private.to_monitor_info(m)).*
          FROM ledger_private.monitor AS m
         WHERE m.tenant = v_tenant
         ORDER BY m.monitor_id;
END
$$;

COMMENT ON FUNCTION ledger.list_monitors(text) IS
    'The tenant''s balance monitors, oldest first, with the accounts where each is triggered';
GRANT EXECUTE ON FUNCTION ledger.list_monitors(text) TO doublex_api;
