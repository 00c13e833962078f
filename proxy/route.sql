-- ledger_proxy.route(tenant) → integer: the hash PL/Proxy maps onto a partition for a call
-- that writes (`RUN ON ledger_proxy.route(tenant)` in every routed VOLATILE function): the
-- partition a moved tenant is pinned to in the directory, else hashtext(tenant) (PL/Proxy
-- takes it modulo the power-of-two partition count, by bitmask). While the tenant moves
-- (`doublex shards move`: its directory row fenced), DX067: a retryable refusal, the
-- service's 503 with Retry-After; its reads keep going to its shard (route_read).
-- PL/pgSQL, not SQL: its lookup is a cached plan (a SQL function's body is planned anew at
-- every call that cannot inline it).
--
--   SELECT ledger_proxy.route('acme') & 3;   -- acme's partition of 4
--
-- Raises: DX040 (caller_tenant), DX067.

CREATE OR REPLACE FUNCTION ledger_proxy.route(p_tenant text)
RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant text := ledger_proxy.caller_tenant(p_tenant);
    v_partition integer;
    v_fenced timestamptz;
BEGIN
    SELECT d.partition, d.fenced_at INTO v_partition, v_fenced FROM ledger_proxy.tenant AS d
     WHERE d.tenant = v_tenant;
    IF v_fenced IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX067', COLUMN = 'tenant',
            MESSAGE = format('tenant: %s is moving to another shard; its writes are paused', v_tenant),
            DETAIL = format('fenced since %s', v_fenced),
            HINT = 'Retry in a second: nothing was written (README, "Sharding").';
    END IF;
    RETURN coalesce(v_partition, hashtext(v_tenant), 0);  -- an unknown key: partition 0
END
$$;
REVOKE ALL ON FUNCTION ledger_proxy.route(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_proxy.route(text) TO doublex_api, doublex_service;
