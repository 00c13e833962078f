-- ledger.list_api_keys: the keys of the caller's tenant, newest first (capability admin).
-- Never the secret or its hash.
--
--   SELECT * FROM ledger.list_api_keys();
--   → key_id, name, capabilities, expires_at, created_at, created_by, revoked_at, revoked_by,
--     requests_per_second, burst
--
-- Raises DX019, DX040–DX043.

CREATE OR REPLACE FUNCTION ledger.list_api_keys(
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.api_key_info
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    list_api_keys.tenant := (ledger_private.authorize('admin', list_api_keys.tenant)).tenant;
    RETURN QUERY
        SELECT (ledger_private.to_api_key_info(k)).*
          FROM ledger_private.api_key AS k
         WHERE k.tenant = list_api_keys.tenant
         ORDER BY k.created_at DESC, k.key_id;
END
$$;

COMMENT ON FUNCTION ledger.list_api_keys(text) IS 'The tenant''s API keys (never their secrets)';
GRANT EXECUTE ON FUNCTION ledger.list_api_keys(text) TO doublex_api;
