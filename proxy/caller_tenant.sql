-- ledger_proxy.caller_tenant(tenant) → text: the tenant a call through the proxy goes to,
-- derived from the caller as ledger_private.authorize derives it on a shard (README,
-- "Sharding"): an API key in doublex.api_key → the tenant the proxy's directory records for
-- the key's id (NULL for an id it does not know: the call goes to partition 0, whose shard
-- refuses the key itself, DX040, unless the key is its own); an admin (superuser or member
-- of doublex_owner) → the tenant argument, NULL meaning `default`; the service login itself
-- (its housekeeping) → the same; anyone else → DX040. It decides where a call goes, never
-- what it may do: the shard verifies the key (its secret, revocation, expiry, capabilities,
-- the tenant argument) itself.
--
--   SELECT ledger_proxy.caller_tenant(NULL);
--
-- Raises: DX040.

CREATE OR REPLACE FUNCTION ledger_proxy.caller_tenant(p_tenant text)
RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_token text := coalesce(current_setting('doublex.api_key', true), '');
BEGIN
    IF v_token <> '' THEN
        RETURN (SELECT k.tenant FROM ledger_proxy.api_key AS k
                 WHERE k.key_id = split_part(v_token, '.', 1));
    END IF;
    IF pg_has_role(session_user, 'doublex_owner', 'MEMBER')
       OR (session_user = 'doublex_service' AND current_user = 'doublex_service') THEN
        RETURN coalesce(p_tenant, 'default');
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'DX040', COLUMN = 'principal',
        MESSAGE = format('principal: login %s holds no API key', session_user),
        HINT = 'Through the proxy, a caller sets doublex.api_key to a key token; SQL logins '
               'are bound on a shard (README, "Sharding").';
END
$$;
REVOKE ALL ON FUNCTION ledger_proxy.caller_tenant(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_proxy.caller_tenant(text) TO doublex_api, doublex_service;
