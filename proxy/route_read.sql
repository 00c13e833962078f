-- ledger_proxy.route_read(tenant) → integer: route(tenant) for a call that only reads (a
-- STABLE function of the shard): the same partition, and no fence, so a moving tenant's
-- reads keep answering from its current shard until the switch.
--
--   SELECT ledger_proxy.route_read('acme') & 3;

CREATE OR REPLACE FUNCTION ledger_proxy.route_read(p_tenant text)
RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant text := ledger_proxy.caller_tenant(p_tenant);
BEGIN
    RETURN coalesce((SELECT d.partition FROM ledger_proxy.tenant AS d WHERE d.tenant = v_tenant),
                    hashtext(v_tenant), 0);
END
$$;
REVOKE ALL ON FUNCTION ledger_proxy.route_read(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_proxy.route_read(text) TO doublex_api, doublex_service;
