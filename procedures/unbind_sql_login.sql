-- ledger.unbind_sql_login: removes a login's binding (owner only, granted to nobody); its
-- next transaction is refused (DX040) unless it is an admin. True when a binding was
-- removed, false when there was none. Recorded in the tenant's audit log.
--
--   SELECT ledger.unbind_sql_login('doublex_app');   -- lock out the single-book login
--
-- Raises DX016 (below SERIALIZABLE).

CREATE OR REPLACE FUNCTION ledger.unbind_sql_login(
    login text
) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_login ledger_private.sql_login;
BEGIN
    PERFORM ledger_private.require_serializable();
    DELETE FROM ledger_private.sql_login AS l
     WHERE l.login = unbind_sql_login.login
    RETURNING l.* INTO v_login;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM ledger_private.append_audit(ROW(v_login.tenant, ledger_private.admin_actor()),
                                        'unbind_sql_login', v_login.login,
                                        jsonb_build_object('capabilities', v_login.capabilities));
    RETURN true;
END
$$;

COMMENT ON FUNCTION ledger.unbind_sql_login(text) IS
    'Removes a SQL login''s tenant binding (owner only); false when it had none';
