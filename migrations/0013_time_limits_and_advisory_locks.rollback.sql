-- Roll back 0013_time_limits_and_advisory_locks: PUBLIC may execute the advisory-lock
-- functions again (and doublex_owner's explicit grant goes); the roles' time limits are
-- reset only when no other database of the cluster still grants doublex_app something
-- (role settings are cluster-wide, like the roles themselves).

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_proc AS p
         WHERE p.pronamespace = 'pg_catalog'::regnamespace
           AND (p.proname LIKE 'pg\_advisory\_%' OR p.proname LIKE 'pg\_try\_advisory\_%')
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM doublex_owner', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', f);
    END LOOP;
    IF NOT EXISTS (
        SELECT FROM pg_shdepend AS d
         WHERE d.refclassid = 'pg_authid'::regclass
           AND d.refobjid = 'doublex_app'::regrole
           AND d.dbid <> (SELECT oid FROM pg_database WHERE datname = current_database())
    ) THEN
        ALTER ROLE doublex_app RESET statement_timeout;
        ALTER ROLE doublex_app RESET lock_timeout;
        ALTER ROLE doublex_app RESET idle_in_transaction_session_timeout;
        ALTER ROLE doublex_monitor RESET idle_in_transaction_session_timeout;
    ELSE
        RAISE NOTICE 'role time limits kept: other databases of this cluster still use doublex_app';
    END IF;
END
$$;
