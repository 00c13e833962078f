-- ledger_proxy.route(tenant) → integer: the hash PL/Proxy maps onto a partition
-- (`RUN ON ledger_proxy.route(tenant)` in every routed function): the partition a moved
-- tenant is pinned to in the directory, else hashtext(tenant) (PL/Proxy takes it modulo the
-- power-of-two partition count, by bitmask).
-- PL/pgSQL, not SQL: its lookup is a cached plan (a SQL function's body is planned anew at
-- every call that cannot inline it).
--
--   SELECT ledger_proxy.route('acme') & 3;   -- acme's partition of 4

CREATE OR REPLACE FUNCTION ledger_proxy.route(p_tenant text)
RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant text := ledger_proxy.caller_tenant(p_tenant);
    v_partition integer;
BEGIN
    SELECT d.partition INTO v_partition FROM ledger_proxy.tenant AS d
     WHERE d.tenant = v_tenant;
    RETURN coalesce(v_partition, hashtext(v_tenant), 0);  -- an unknown key: partition 0
END
$$;
REVOKE ALL ON FUNCTION ledger_proxy.route(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_proxy.route(text) TO doublex_api, doublex_service;
