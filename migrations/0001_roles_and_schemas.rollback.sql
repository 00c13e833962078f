-- Roll back 0001: drop the schemas; drop the roles only when no other database uses them.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DROP SCHEMA IF EXISTS ledger CASCADE;
DROP SCHEMA IF EXISTS ledger_private CASCADE;
ALTER DEFAULT PRIVILEGES FOR ROLE doublex_owner GRANT EXECUTE ON FUNCTIONS TO PUBLIC;

DO $$
BEGIN
    DROP ROLE IF EXISTS doublex_app;
    DROP ROLE IF EXISTS doublex_owner;
EXCEPTION WHEN dependent_objects_still_exist THEN
    RAISE NOTICE 'doublex roles kept: other databases of this cluster still use them';
END
$$;
