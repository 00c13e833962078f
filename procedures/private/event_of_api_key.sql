-- ledger_private.event_of_api_key(old, new): key.created (old NULL; actor created_by) or
-- key.revoked (actor revoked_by). Never the secret or its hash. The rows come as jsonb
-- (ledger_private.record_event).

CREATE OR REPLACE FUNCTION ledger_private.event_of_api_key(p_old_row jsonb, p_new_row jsonb)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT ledger_private.emit_event(
        k.tenant,
        CASE WHEN p_old_row IS NULL THEN 'key.created' ELSE 'key.revoked' END,
        CASE WHEN p_old_row IS NULL THEN k.created_by ELSE k.revoked_by END,
        jsonb_build_object('key_id', k.key_id, 'name', k.name,
                           'capabilities', to_jsonb(k.capabilities),
                           'expires_at', k.expires_at, 'revoked_at', k.revoked_at))
      FROM jsonb_populate_record(NULL::ledger_private.api_key, p_new_row) AS k;
$$;

COMMENT ON FUNCTION ledger_private.event_of_api_key(jsonb, jsonb) IS
    'Queues key.created or key.revoked';
