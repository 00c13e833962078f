-- ledger.create_api_key: a new API key of the caller's tenant (capability admin).
--
--   SELECT * FROM ledger.create_api_key('payments-service', ARRAY['read', 'post']);
--   SELECT * FROM ledger.create_api_key('auditor', ARRAY['audit'], now() + interval '30 days');
--   SELECT * FROM ledger.create_api_key('batch', ARRAY['post'], requests_per_second => 20, burst => 50);
--   → key_id, token, name, capabilities, expires_at, created_at, created_by,
--     requests_per_second, burst
--
-- The token `dxk_<12 hex>.<64 hex>` is answered here and never again: only the SHA-256 of
-- its secret is stored (the key id before the dot is kept and shown). 256 bits of secret
-- from gen_random_uuid() (the server's strong random source). capabilities: one or more of
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
    v_capabilities text[] := ledger_private.checked_capabilities(create_api_key.capabilities);
    v_rate integer[] := ledger_private.checked_key_rate(create_api_key.requests_per_second,
                                                        create_api_key.burst);
    v_key_id text := 'dxk_' || left(replace(gen_random_uuid()::text, '-', ''), 12);
    -- Three version-4 UUIDs (122 random bits each) hashed into 256 bits.
    v_secret text := encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                                              || gen_random_uuid()::text, 'UTF8')), 'hex');
    v_expires_at timestamptz;
    v_key ledger_private.api_key;
BEGIN
    IF create_api_key.name IS NULL
       OR char_length(btrim(create_api_key.name)) NOT BETWEEN 1 AND ledger_private.api_limit('api_key_name_length') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX044', COLUMN = 'name',
            MESSAGE = format('name: required, 1 to %s characters', ledger_private.api_limit('api_key_name_length'));
    END IF;
    IF create_api_key.expires_at IS NOT NULL AND NOT create_api_key.expires_at > now() THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX044', COLUMN = 'expires_at',
            MESSAGE = format('expires_at: %s is not in the future', create_api_key.expires_at),
            HINT = 'Omit it for a key that does not expire.';
    END IF;
    v_expires_at := ledger_private.check_grantable(v_who, v_capabilities, create_api_key.expires_at);
    INSERT INTO ledger_private.api_key AS k
           (key_id, tenant, name, capabilities, secret_hash, expires_at, created_by,
            requests_per_second, burst)
    VALUES (v_key_id, v_who.tenant, btrim(create_api_key.name), v_capabilities,
            sha256(convert_to(v_secret, 'UTF8')), v_expires_at, v_who.actor,
            v_rate[1], v_rate[2])
    RETURNING k.* INTO v_key;
    PERFORM ledger_private.append_audit(v_who, 'create_api_key', v_key.key_id,
                                        jsonb_build_object('name', v_key.name, 'capabilities', v_key.capabilities,
                                                           'expires_at', v_key.expires_at,
                                                           'requests_per_second', v_key.requests_per_second,
                                                           'burst', v_key.burst));
    RETURN ROW(v_key.key_id, v_key.key_id || '.' || v_secret, v_key.name, v_key.capabilities,
               v_key.expires_at, v_key.created_at, v_key.created_by, v_key.requests_per_second,
               v_key.burst)::ledger.new_api_key;
END
$$;

COMMENT ON FUNCTION ledger.create_api_key(text, text[], timestamptz, integer, integer, text) IS
    'Creates an API key of the tenant; its token is shown only in this answer';
GRANT EXECUTE ON FUNCTION ledger.create_api_key(text, text[], timestamptz, integer, integer, text) TO doublex_api;
