-- ledger_private.tenant_api_key(key_id, tenant, active_only) → the key's row, locked FOR
-- UPDATE: a key of that tenant (not revoked, when active_only). Raises DX045 otherwise
-- (ledger.revoke_api_key, ledger.set_api_key_rate).

CREATE OR REPLACE FUNCTION ledger_private.tenant_api_key(p_key_id text, p_tenant text, p_active_only boolean)
RETURNS ledger_private.api_key
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_key ledger_private.api_key;
BEGIN
    SELECT k.* INTO v_key
      FROM ledger_private.api_key AS k
     WHERE k.key_id = p_key_id AND k.tenant = p_tenant
       AND (NOT p_active_only OR k.revoked_at IS NULL)
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX045', COLUMN = 'key_id',
            MESSAGE = format('key_id: no %sAPI key %s in tenant %s',
                             CASE WHEN p_active_only THEN 'active ' ELSE '' END,
                             coalesce(p_key_id, 'NULL'), p_tenant);
    END IF;
    RETURN v_key;
END
$$;

COMMENT ON FUNCTION ledger_private.tenant_api_key(text, text, boolean) IS
    'A key of the tenant (active only, when asked), locked for update; DX045 otherwise';
