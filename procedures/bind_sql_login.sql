-- ledger.bind_sql_login: binds a PostgreSQL login to a tenant and capabilities (owner only,
-- granted to nobody). Its API calls then act on that tenant only, with those capabilities
-- (ledger_private.authorize, by session_user). Binding a bound login replaces its binding.
--
--   CREATE ROLE acme_batch LOGIN;  GRANT doublex_api TO acme_batch;   -- as an admin
--   SELECT * FROM ledger.bind_sql_login('acme_batch', ARRAY['read', 'post'], 'acme');
--   → login, tenant, capabilities, bound_at, bound_by
--
-- The login needs EXECUTE on the API: membership of doublex_api (granted with the role).
-- Recorded in the tenant's audit log. Raises DX016, DX019, DX043 (unknown tenant), DX044
-- (bad capabilities; a login that is no role; doublex_service, which is never bound),
-- DX067 (the tenant is moving to another shard).

CREATE OR REPLACE FUNCTION ledger.bind_sql_login(
    login text,
    capabilities text[],
    tenant text
) RETURNS ledger.sql_login_info
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ROW(bind_sql_login.tenant, ledger_private.admin_actor());
    v_capabilities text[] := ledger_private.checked_capabilities(bind_sql_login.capabilities);
    v_login ledger_private.sql_login;
BEGIN
    PERFORM ledger_private.check_tenant(bind_sql_login.tenant);
    PERFORM ledger_private.require_serializable();
    PERFORM ledger_private.check_tenant_exists(bind_sql_login.tenant);
    PERFORM ledger_private.enter_tenant_writes(bind_sql_login.tenant);  -- a move refuses bound tenants
    IF bind_sql_login.login IS NULL
       OR NOT EXISTS (SELECT FROM pg_catalog.pg_roles AS r WHERE r.rolname = bind_sql_login.login) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX044', COLUMN = 'login',
            MESSAGE = format('login: %s is not a role of this cluster', coalesce(bind_sql_login.login, 'NULL')),
            HINT = 'CREATE ROLE … LOGIN and GRANT doublex_api to it first.';
    END IF;
    IF bind_sql_login.login = 'doublex_service' THEN
        -- Bound, the service's own calls without a key would act as that tenant.
        RAISE EXCEPTION USING
            ERRCODE = 'DX044', COLUMN = 'login',
            MESSAGE = 'login: doublex_service acts for the key of each request and is never bound',
            HINT = 'Create a key of the tenant instead (ledger.create_api_key).';
    END IF;
    INSERT INTO ledger_private.sql_login AS l (login, login_oid, tenant, capabilities, bound_by)
    VALUES (bind_sql_login.login, quote_ident(bind_sql_login.login)::regrole, bind_sql_login.tenant,
            v_capabilities, v_who.actor)
    ON CONFLICT ON CONSTRAINT sql_login_pkey DO UPDATE
       SET login_oid = excluded.login_oid, tenant = excluded.tenant,
           capabilities = excluded.capabilities, bound_at = now(), bound_by = excluded.bound_by
    RETURNING l.* INTO v_login;
    PERFORM ledger_private.append_audit(v_who, 'bind_sql_login', v_login.login,
                                        jsonb_build_object('capabilities', v_login.capabilities));
    RETURN ROW(v_login.login, v_login.tenant, v_login.capabilities, v_login.bound_at,
               v_login.bound_by)::ledger.sql_login_info;
END
$$;

COMMENT ON FUNCTION ledger.bind_sql_login(text, text[], text) IS
    'Binds a SQL login to a tenant and capabilities (owner only)';
