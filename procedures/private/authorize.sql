-- ledger_private.authorize(capability, tenant) → principal (tenant, actor): who is calling,
-- the tenant it may act on and how its writes are signed. The first thing every API
-- function does, before it reads anything:
--
--   v_who := ledger_private.authorize('post', post_journal.tenant);
--
-- 1. doublex.api_key set (the REST service sets it per transaction): a token
--    `dxk_<12 hex>.<64 hex>`; the key with that id whose secret hashes to the stored
--    SHA-256, not revoked, not expired (ledger_private.active_api_key) → its tenant and
--    capabilities, actor `key:dxk_…`. Anything else is DX040.
-- 2. else the session's login bound in ledger_private.sql_login (that very role: its name
--    and oid, so a role made later under a dropped one's name is not bound) → its tenant
--    and capabilities, actor `login:<name>`.
-- 3. else an admin (superuser or member of doublex_owner, e.g. the CLI's admin DSN) → the
--    tenant argument (NULL means `default`), which must exist (DX043), every capability;
--    actor `admin:` || doublex.actor (the CLI sets the OS user) or the login.
-- 4. else DX040.
-- Then a tenant argument other than the principal's is DX042 (NULL means the principal's
-- own), and a missing capability DX041; `read` is also granted by `audit`. A malformed
-- tenant argument is DX019 first. A key revoked (or expired) is refused by every
-- transaction that starts after the revocation commits: nothing is cached.
-- PL/pgSQL: its two lookups are cached plans (one primary-key probe each).

CREATE OR REPLACE FUNCTION ledger_private.authorize(p_capability text, p_tenant text)
RETURNS ledger_private.principal
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_token text := current_setting('doublex.api_key', true);
    v_tenant text;
    v_capabilities text[];
    v_actor text;
BEGIN
    IF p_tenant IS NOT NULL AND NOT ledger_private.is_tenant_name(p_tenant) THEN
        PERFORM ledger_private.check_tenant(p_tenant);
    END IF;
    IF v_token <> '' THEN
        SELECT k.tenant, k.capabilities, 'key:' || k.key_id
          INTO v_tenant, v_capabilities, v_actor
          FROM ledger_private.active_api_key(v_token) AS k;
        IF v_tenant IS NULL THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX040', COLUMN = 'api_key',
                MESSAGE = 'api_key: not a valid, active API key',
                HINT = 'Use a key token dxk_<id>.<secret> as created by ledger.create_api_key; '
                       'revoked and expired keys are refused.';
        END IF;
    ELSE
        SELECT l.tenant, l.capabilities, 'login:' || l.login
          INTO v_tenant, v_capabilities, v_actor
          FROM ledger_private.sql_login AS l
         WHERE l.login = session_user AND l.login_oid = quote_ident(session_user)::regrole;
        IF v_tenant IS NULL THEN
            IF NOT pg_has_role(session_user, 'doublex_owner', 'MEMBER') THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'DX040', COLUMN = 'principal',
                    MESSAGE = format('principal: login %s is bound to no tenant and holds no API key',
                                     session_user),
                    HINT = 'The owner binds a login with ledger.bind_sql_login(login, capabilities, tenant); '
                           'a service sets doublex.api_key to a key token.';
            END IF;
            v_tenant := coalesce(p_tenant, 'default');
            PERFORM ledger_private.check_tenant_exists(v_tenant);
            RETURN ROW(v_tenant, ledger_private.admin_actor())::ledger_private.principal;
        END IF;
    END IF;
    IF p_tenant IS NOT NULL AND p_tenant <> v_tenant THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX042', COLUMN = 'tenant',
            MESSAGE = format('tenant: %s is not the tenant of %s', p_tenant, v_actor),
            HINT = 'Omit the tenant (it is taken from the credential) or name the credential''s own.';
    END IF;
    IF NOT (p_capability = ANY (v_capabilities)
            OR (p_capability = 'read' AND 'audit' = ANY (v_capabilities))) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX041', COLUMN = 'capability',
            MESSAGE = format('capability: %s lacks %s', v_actor, p_capability),
            DETAIL = format('It holds %s.', array_to_string(v_capabilities, ', ')),
            HINT = 'An admin of the tenant creates a key with the capability (ledger.create_api_key).';
    END IF;
    RETURN ROW(v_tenant, v_actor)::ledger_private.principal;
END
$$;

COMMENT ON FUNCTION ledger_private.authorize(text, text) IS
    'The caller''s tenant and actor for a capability (API key, bound login or admin); DX040-DX043';
