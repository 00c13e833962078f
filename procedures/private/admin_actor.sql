-- ledger_private.admin_actor() → text: how the owner's own actions are signed:
-- `admin:` || doublex.actor (the CLI sets it to the OS user, per transaction) or
-- `admin:` || the login. Used by authorize's admin branch and the owner-only functions
-- (create_tenant, bind_sql_login, unbind_sql_login).

CREATE OR REPLACE FUNCTION ledger_private.admin_actor() RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT 'admin:' || coalesce(nullif(current_setting('doublex.actor', true), ''), session_user)
$$;

COMMENT ON FUNCTION ledger_private.admin_actor() IS
    'admin: and the CLI''s doublex.actor, or the login: the actor of an owner''s action';
