-- ledger_private.event_of_api_key(old, new): key.created (old NULL; actor created_by) or
-- key.revoked (actor revoked_by). Never the secret or its hash.

CREATE OR REPLACE FUNCTION ledger_private.event_of_api_key(
    p_old ledger_private.api_key, p_new ledger_private.api_key
) RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT ledger_private.emit_event(
        p_new.tenant,
        CASE WHEN p_old IS NULL THEN 'key.created' ELSE 'key.revoked' END,
        CASE WHEN p_old IS NULL THEN p_new.created_by ELSE p_new.revoked_by END,
        jsonb_build_object('key_id', p_new.key_id, 'name', p_new.name,
                           'capabilities', to_jsonb(p_new.capabilities),
                           'expires_at', p_new.expires_at, 'revoked_at', p_new.revoked_at));
$$;

COMMENT ON FUNCTION ledger_private.event_of_api_key(ledger_private.api_key, ledger_private.api_key) IS
    'Queues key.created or key.revoked';
