-- Time limits on the login roles, and advisory locks for the ledger only (issue #15).
--
-- 1. No session of the application or monitoring role can hold a statement, a lock wait or
--    an idle transaction open for long: statement_timeout, lock_timeout and
--    idle_in_transaction_session_timeout on doublex_app (doublex_monitor had the first two
--    since 0010 and gets the third). They are backstops behind the service's own request
--    deadline (DOUBLEX_REQUEST_DEADLINE); an operator's long close or import stays well
--    inside them (bench/results/eod-bench.md: 2.2 s for 100,000 accounts). Role settings
--    are cluster-wide, like the ones 0001 and 0010 set, and apply to new sessions.
-- 2. The ledger's lock keys are computable (hashtext of a tenant and a key, see
--    procedures/rules/close_fence_key.sql), and PostgreSQL lets PUBLIC execute every
--    advisory-lock function: any login, even the read-only monitoring role, could hold a
--    tenant's close fence or an idempotency key and stall its postings. EXECUTE on every
--    pg_advisory* and pg_try_advisory* function (session and transaction level, shared and
--    exclusive, lock and unlock, both key forms) is taken from PUBLIC in this database and
--    given to doublex_owner, the role the ledger's SECURITY DEFINER functions run as.
--    Function privileges live in each database's catalog, so this needs the bootstrap
--    superuser's right to change them: the migration fails when it could not.
-- depends: 0012_tenants_and_principals

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

ALTER ROLE doublex_app SET statement_timeout = '60s';
ALTER ROLE doublex_app SET lock_timeout = '10s';
ALTER ROLE doublex_app SET idle_in_transaction_session_timeout = '30s';
ALTER ROLE doublex_monitor SET idle_in_transaction_session_timeout = '10s';

DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_proc AS p
         WHERE p.pronamespace = 'pg_catalog'::regnamespace
           AND (p.proname LIKE 'pg\_advisory\_%' OR p.proname LIKE 'pg\_try\_advisory\_%')
    LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO doublex_owner', f);
    END LOOP;
    IF EXISTS (
        SELECT FROM pg_proc AS p
         WHERE p.pronamespace = 'pg_catalog'::regnamespace
           AND (p.proname LIKE 'pg\_advisory\_%' OR p.proname LIKE 'pg\_try\_advisory\_%')
           AND (p.proacl IS NULL
                OR EXISTS (SELECT FROM aclexplode(p.proacl) AS a WHERE a.grantee = 0))
    ) THEN
        RAISE EXCEPTION 'PUBLIC can still execute advisory-lock functions'
            USING HINT = 'Run the migration as a superuser: only the owner of pg_catalog '
                         'may revoke EXECUTE on its functions.';
    END IF;
END
$$;
