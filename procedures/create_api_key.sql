-- ledger.create_api_key: a new API key of the caller's tenant (capability admin).
--
--   SELECT * FROM ledger.create_api_key('payments-service', ARRAY['read', 'post']);
--   SELECT * FROM ledger.create_api_key('auditor', ARRAY['audit'], now() + interval '30 days');
--   → key_id, token, name, capabilities, expires_at, created_at, created_by
--
-- The token `dxk_<12 hex>.<64 hex>` is answered here and never again: only the SHA-256 of
-- its secret is stored (the key id before the dot is kept and shown; the key is made by
-- ledger_private.issue_api_key). capabilities: one or more of read, post, operate, admin,
-- audit. expires_at: NULL (never) or a future instant.
-- The creation is in the audit log. Raises DX016, DX019, DX040–DX043, DX044 (bad
-- capabilities, name or expiry).

CREATE OR REPLACE FUNCTION ledger.create_api_key(
    name text,
    capabilities text[],
    expires_at timestamptz DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.new_api_key
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize_write('admin', create_api_key.tenant);
BEGIN
    RETURN ledger_private.issue_api_key(v_who, create_api_key.name, create_api_key.capabilities,
                                        create_api_key.expires_at);
END
$$;

COMMENT ON FUNCTION ledger.create_api_key(text, text[], timestamptz, text) IS
    'Creates an API key of the tenant; its token is shown only in this answer';
GRANT EXECUTE ON FUNCTION ledger.create_api_key(text, text[], timestamptz, text) TO doublex_api;
