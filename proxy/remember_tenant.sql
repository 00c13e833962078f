-- A tenant created through the proxy (ledger.create_tenant): listed by ledger.list_tenants,
-- and the row a move pins to a partition. Owner only.

CREATE OR REPLACE FUNCTION ledger_proxy.remember_tenant(p_tenant text)
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO ledger_proxy.tenant (tenant) VALUES (p_tenant) ON CONFLICT (tenant) DO NOTHING
$$;
REVOKE ALL ON FUNCTION ledger_proxy.remember_tenant(text) FROM PUBLIC;
