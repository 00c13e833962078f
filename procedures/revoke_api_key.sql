-- ledger.revoke_api_key: revokes a key of the caller's tenant (capability admin).
--
--   SELECT * FROM ledger.revoke_api_key('dxk_3f9a0c61b2d4');
--
-- Every transaction that starts after this one commits refuses the key (DX040): nothing
-- caches a key, so the bound is the commit itself. Revoking a revoked key answers it
-- unchanged. The revocation is in the audit log. Raises DX016, DX019, DX040–DX043, DX045 (no
-- such key in the tenant).

CREATE OR REPLACE FUNCTION ledger.revoke_api_key(
    key_id text,
    tenant text DEFAULT NULL
) RETURNS ledger.api_key_info
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize_write('admin', revoke_api_key.tenant);
    v_key ledger_private.api_key := ledger_private.tenant_api_key(revoke_api_key.key_id, v_who.tenant, false);
BEGIN
    IF v_key.revoked_at IS NULL THEN
        UPDATE ledger_private.api_key AS k
           SET revoked_at = now(), revoked_by = v_who.actor
         WHERE k.key_id = v_key.key_id
        RETURNING k.* INTO v_key;
        PERFORM ledger_private.append_audit(v_who, 'revoke_api_key', v_key.key_id);
    END IF;
    RETURN ledger_private.to_api_key_info(v_key);
END
$$;

COMMENT ON FUNCTION ledger.revoke_api_key(text, text) IS
    'Revokes an API key of the tenant: refused from the next transaction on';
GRANT EXECUTE ON FUNCTION ledger.revoke_api_key(text, text) TO doublex_api;
