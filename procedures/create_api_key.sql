-- ledger.create_api_key: a new API key of the caller's tenant (capability admin).
--
--   SELECT * FROM ledger.create_api_key('payments-service', ARRAY['read', 'post']);
--   SELECT * FROM ledger.create_api_key('auditor', ARRAY['audit'], now() + interval '30 days');
--   SELECT * FROM ledger.create_api_key('batch', ARRAY['post'], requests_per_second => 20, burst => 50);
--   → key_id, token, name, capabilities, expires_at, created_at, created_by,
--     requests_per_second, burst
--
-- The token `dxk_<12 hex>.<64 hex>` is answered here and never again: only the SHA-256 of
-- its secret is stored (the key id before the dot is kept and shown; the key is made by
-- ledger_private.issue_api_key). capabilities: one or more of
-- read, post, operate, admin, audit. expires_at: NULL (never) or a future instant.
-- requests_per_second, burst: the key's rate limit, which the REST service enforces per key
-- (a token bucket: `burst` requests at once, refilled at `requests_per_second`; 429 beyond);
-- NULL: key_rate_default requests per second and twice that as burst
-- (ledger_private.checked_key_rate).
-- A key's creator grants only what it holds (private/check_grantable.sql): its own
-- capabilities (DX041 otherwise), and no longer than it lives itself (a later or no expiry
-- is capped at the creator's; the answer says which). The owner holds everything.
-- The creation is in the audit log. Raises DX016, DX019, DX040–DX043, DX044 (bad
-- capabilities, name or expiry), DX046 (bad rate or burst).

CREATE OR REPLACE FUNCTION ledger.create_api_key(
    name text,
    capabilities text[],
    expires_at timestamptz DEFAULT NULL,
    requests_per_second integer DEFAULT NULL,
    burst integer DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.new_api_key
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize_write('admin', create_api_key.tenant);
BEGIN
    RETURN ledger_private.issue_api_key(
        v_who, create_api_key.name, create_api_key.capabilities,
        ledger_private.check_grantable(v_who, ledger_private.checked_capabilities(create_api_key.capabilities),
                                       create_api_key.expires_at),
        create_api_key.requests_per_second, create_api_key.burst);
END
$$;

COMMENT ON FUNCTION ledger.create_api_key(text, text[], timestamptz, integer, integer, text) IS
    'Creates an API key of the tenant; its token is shown only in this answer';
GRANT EXECUTE ON FUNCTION ledger.create_api_key(text, text[], timestamptz, integer, integer, text) TO doublex_api;
