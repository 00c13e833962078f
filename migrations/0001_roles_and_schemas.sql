-- Roles and schemas.
--
-- doublex_owner (NOLOGIN) owns every object; SECURITY DEFINER functions run as it.
-- doublex_app (LOGIN) is what services and SQL callers use: EXECUTE on the API in schema
-- `ledger`, nothing on any table, SERIALIZABLE by default.
-- Roles are cluster-wide, so they are created only when missing (many databases of one
-- cluster, e.g. the test suite's, share them).
-- depends:

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'doublex_owner') THEN
        CREATE ROLE doublex_owner NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'doublex_app') THEN
        CREATE ROLE doublex_app LOGIN;
    END IF;
END
$$;

ALTER ROLE doublex_app SET default_transaction_isolation = 'serializable';
ALTER ROLE doublex_app SET search_path = ledger;

-- The migrating user must be able to act as the owner to create objects in its name.
GRANT doublex_owner TO CURRENT_USER;

CREATE SCHEMA ledger AUTHORIZATION doublex_owner;
CREATE SCHEMA ledger_private AUTHORIZATION doublex_owner;
COMMENT ON SCHEMA ledger IS 'DoubleX SQL API: functions only, callable by doublex_app';
COMMENT ON SCHEMA ledger_private IS 'DoubleX tables and helpers: reachable only through the ledger API';

REVOKE ALL ON SCHEMA ledger FROM PUBLIC;
REVOKE ALL ON SCHEMA ledger_private FROM PUBLIC;
GRANT USAGE ON SCHEMA ledger TO doublex_app;

-- PUBLIC gets EXECUTE on new functions by default; nothing in the ledger schemas may be
-- callable by roles other than the app role.
ALTER DEFAULT PRIVILEGES FOR ROLE doublex_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
