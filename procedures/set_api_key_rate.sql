-- ledger.set_api_key_rate: changes the rate limit of a key of the caller's tenant
-- (capability admin).
--
--   SELECT * FROM ledger.set_api_key_rate('dxk_3f9a0c61b2d4', 50, 100);
--   → key_id, name, capabilities, …, requests_per_second, burst (the key as listed)
--
-- requests_per_second, burst: as ledger.create_api_key takes them (NULL: key_rate_default
-- and twice the rate; ledger_private.checked_key_rate). The REST service reads a key's limit
-- when it first sees the key and again after at most DOUBLEX_KEY_RATE_SECONDS (5 s), so a
-- change applies within that bound (what the key may read or write is checked in every
-- transaction, as ever). A revoked key keeps its limit unchanged: DX045 like an unknown one.
-- The change is in the audit log, with the limit before it. Raises DX016, DX019,
-- DX040–DX043, DX045 (no such active key in the tenant), DX046 (bad rate or burst).

CREATE OR REPLACE FUNCTION ledger.set_api_key_rate(
    key_id text,
    requests_per_second integer DEFAULT NULL,
    burst integer DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.api_key_info
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize_write('admin', set_api_key_rate.tenant);
    v_rate integer[] := ledger_private.checked_key_rate(set_api_key_rate.requests_per_second,
                                                        set_api_key_rate.burst);
    v_before ledger_private.api_key := ledger_private.tenant_api_key(set_api_key_rate.key_id, v_who.tenant, true);
    v_key ledger_private.api_key;
BEGIN
    UPDATE ledger_private.api_key AS k
       SET requests_per_second = v_rate[1], burst = v_rate[2]
     WHERE k.key_id = v_before.key_id
    RETURNING k.* INTO v_key;
    PERFORM ledger_private.append_audit(v_who, 'set_api_key_rate', v_key.key_id,
                                        jsonb_build_object('requests_per_second', v_key.requests_per_second,
                                                           'burst', v_key.burst,
                                                           'was', jsonb_build_object(
                                                               'requests_per_second', v_before.requests_per_second,
                                                               'burst', v_before.burst)));
    RETURN ledger_private.to_api_key_info(v_key);
END
$$;

COMMENT ON FUNCTION ledger.set_api_key_rate(text, integer, integer, text) IS
    'Changes the rate limit (requests per second, burst) of an API key of the tenant';
GRANT EXECUTE ON FUNCTION ledger.set_api_key_rate(text, integer, integer, text) TO doublex_api;
