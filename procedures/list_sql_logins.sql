-- ledger.list_sql_logins: the bound SQL logins, of one tenant or (NULL) of all, by login
-- (owner only, granted to nobody).
--
--   SELECT * FROM ledger.list_sql_logins();
--   → login, tenant, capabilities, bound_at, bound_by
--
-- Raises DX019 (malformed tenant).

CREATE OR REPLACE FUNCTION ledger.list_sql_logins(
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.sql_login_info
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF list_sql_logins.tenant IS NOT NULL THEN
        PERFORM ledger_private.check_tenant(list_sql_logins.tenant);
    END IF;
    RETURN QUERY
        SELECT l.login, l.tenant, l.capabilities, l.bound_at, l.bound_by
          FROM ledger_private.sql_login AS l
         WHERE list_sql_logins.tenant IS NULL OR l.tenant = list_sql_logins.tenant
         ORDER BY l.login;
END
$$;

COMMENT ON FUNCTION ledger.list_sql_logins(text) IS 'Bound SQL logins of a tenant or of all (owner only)';
