-- ledger_private.check_grantable(principal, capabilities, expires_at) → timestamptz: a
-- principal hands on to a key it creates only what it holds itself. Capabilities: only
-- those it has (`audit` also grants `read`, as in authorize), else DX041. Lifetime: the
-- answer is the new key's expiry, the one asked for capped at the creator's own (a key that
-- expires creates no key that outlives it; like a child token's TTL in Vault). An admin
-- (the owner) holds everything, for ever. Without this an admin-only key or login could
-- mint a `post` key and move money, and a key given out for a day could leave behind one
-- that never expires. The principal is authorize's answer: its actor names the key
-- (`key:dxk_…`) or the login (`login:<name>`) it came from.

CREATE OR REPLACE FUNCTION ledger_private.check_grantable(
    p_who ledger_private.principal, p_capabilities text[], p_expires_at timestamptz
) RETURNS timestamptz
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_held text[] := ARRAY['read', 'post', 'operate', 'admin', 'audit'];
    v_until timestamptz;
    v_lacking text[];
BEGIN
    IF starts_with(p_who.actor, 'key:') THEN
        SELECT k.capabilities, k.expires_at INTO v_held, v_until
          FROM ledger_private.api_key AS k
         WHERE k.key_id = substr(p_who.actor, 5);
    ELSIF starts_with(p_who.actor, 'login:') THEN
        SELECT l.capabilities INTO v_held
          FROM ledger_private.sql_login AS l
         WHERE l.login = substr(p_who.actor, 7);
    END IF;
    IF 'audit' = ANY (v_held) THEN
        v_held := v_held || 'read'::text;
    END IF;
    v_lacking := ARRAY(SELECT c FROM unnest(p_capabilities) AS c WHERE c <> ALL (v_held));
    IF cardinality(v_lacking) > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX041', COLUMN = 'capabilities',
            MESSAGE = format('capabilities: %s cannot grant %s, which it lacks',
                             p_who.actor, array_to_string(v_lacking, ', ')),
            DETAIL = format('It holds %s.', array_to_string(v_held, ', ')),
            HINT = 'A key can be given only capabilities its creator holds.';
    END IF;
    IF v_until IS NOT NULL AND (p_expires_at IS NULL OR p_expires_at > v_until) THEN
        RETURN v_until;
    END IF;
    RETURN p_expires_at;
END
$$;

COMMENT ON FUNCTION ledger_private.check_grantable(ledger_private.principal, text[], timestamptz) IS
    'DX041 for a capability the key''s creator lacks; the key''s expiry, capped at its creator''s';
