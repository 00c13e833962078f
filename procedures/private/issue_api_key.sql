-- ledger_private.issue_api_key(principal, name, capabilities, expires_at, requests_per_second,
-- burst) → ledger.new_api_key: a new key of the principal's tenant, signed by its actor, and
-- its line in the audit log. The one place a key and its secret are made
-- (ledger.create_api_key for a tenant's admin, ledger.create_demo_tenant for the live page's
-- visitors); what a creator may hand on (private/check_grantable.sql) is the caller's check.
-- The token `dxk_<12 hex>.<64 hex>` is answered here and never again: only the SHA-256 of
-- its secret is stored (the key id before the dot is kept and shown). 256 bits of secret
-- from gen_random_uuid() (the server's strong random source). requests_per_second, burst:
-- NULL for the defaults (ledger_private.checked_key_rate). Raises DX044 (bad capabilities,
-- name or expiry), DX046 (bad rate or burst).

CREATE OR REPLACE FUNCTION ledger_private.issue_api_key(
    p_who ledger_private.principal, p_name text, p_capabilities text[], p_expires_at timestamptz,
    p_requests_per_second integer, p_burst integer
) RETURNS ledger.new_api_key
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_capabilities text[] := ledger_private.checked_capabilities(p_capabilities);
    v_rate integer[] := ledger_private.checked_key_rate(p_requests_per_second, p_burst);
    v_key_id text := 'dxk_' || left(replace(gen_random_uuid()::text, '-', ''), 12);
    -- Three version-4 UUIDs (122 random bits each) hashed into 256 bits.
    v_secret text := encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                                              || gen_random_uuid()::text, 'UTF8')), 'hex');
    v_key ledger_private.api_key;
BEGIN
    IF p_name IS NULL
       OR char_length(btrim(p_name)) NOT BETWEEN 1 AND ledger_private.api_limit('api_key_name_length') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX044', COLUMN = 'name',
            MESSAGE = format('name: required, 1 to %s characters', ledger_private.api_limit('api_key_name_length'));
    END IF;
    IF p_expires_at IS NOT NULL AND NOT p_expires_at > now() THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX044', COLUMN = 'expires_at',
            MESSAGE = format('expires_at: %s is not in the future', p_expires_at),
            HINT = 'Omit it for a key that does not expire.';
    END IF;
    INSERT INTO ledger_private.api_key AS k
           (key_id, tenant, name, capabilities, secret_hash, expires_at, created_by,
            requests_per_second, burst)
    VALUES (v_key_id, p_who.tenant, btrim(p_name), v_capabilities,
            sha256(convert_to(v_secret, 'UTF8')), p_expires_at, p_who.actor,
            v_rate[1], v_rate[2])
    RETURNING k.* INTO v_key;
    PERFORM ledger_private.append_audit(p_who, 'create_api_key', v_key.key_id,
                                        jsonb_build_object('name', v_key.name, 'capabilities', v_key.capabilities,
                                                           'expires_at', v_key.expires_at,
                                                           'requests_per_second', v_key.requests_per_second,
                                                           'burst', v_key.burst));
    RETURN ROW(v_key.key_id, v_key.key_id || '.' || v_secret, v_key.name, v_key.capabilities,
               v_key.expires_at, v_key.created_at, v_key.created_by, v_key.requests_per_second,
               v_key.burst)::ledger.new_api_key;
END
$$;

COMMENT ON FUNCTION ledger_private.issue_api_key(ledger_private.principal, text, text[], timestamptz, integer, integer) IS
    'Makes a key of the principal''s tenant (token answered once, SHA-256 of the secret stored) and audits it';
