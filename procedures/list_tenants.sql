-- ledger.list_tenants: every tenant, by name. Owner only (granted to nobody).
--
--   SELECT * FROM ledger.list_tenants();
--   → name, created_at, created_by, accounts, active_keys

CREATE OR REPLACE FUNCTION ledger.list_tenants()
RETURNS SETOF ledger.tenant_info
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
        SELECT (ledger_private.to_tenant_info(t.tenant)).*
          FROM ledger_private.tenant AS t
         ORDER BY t.tenant;
END
$$;

COMMENT ON FUNCTION ledger.list_tenants() IS 'Every tenant with its accounts and active keys (owner only)';
