-- ledger_private.to_api_key_info(key) → ledger.api_key_info: a key as the API shows it,
-- never its secret or hash (ledger.list_api_keys, ledger.revoke_api_key,
-- ledger.set_api_key_rate).

CREATE OR REPLACE FUNCTION ledger_private.to_api_key_info(p_key ledger_private.api_key)
RETURNS ledger.api_key_info
LANGUAGE sql IMMUTABLE
AS $$
    SELECT ROW(p_key.key_id, p_key.name, p_key.capabilities, p_key.expires_at, p_key.created_at,
               p_key.created_by, p_key.revoked_at, p_key.revoked_by, p_key.requests_per_second,
               p_key.burst)::ledger.api_key_info
$$;

COMMENT ON FUNCTION ledger_private.to_api_key_info(ledger_private.api_key) IS
    'An API key without its secret hash';
