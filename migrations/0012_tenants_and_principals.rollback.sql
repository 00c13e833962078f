-- Roll back 0012_tenants_and_principals: drop the actor columns, the tenant's foreign keys,
-- the tenant, key, login and audit tables and the API grants; drop doublex_service and
-- doublex_api only when no other database of the cluster still uses them (roles are
-- cluster-wide: their memberships go with them). The functions that use the new types go
-- with them (CASCADE), as in 0008.
-- squawk-ignore-file ban-drop-column, ban-drop-constraint

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
ALTER TABLE ledger_private.ledger_settings DROP CONSTRAINT ledger_settings_tenant_fkey;
ALTER TABLE ledger_private.account DROP CONSTRAINT account_tenant_fkey;
ALTER TABLE ledger_private.account DROP COLUMN changed_by;
ALTER TABLE ledger_private.account DROP COLUMN created_by;
ALTER TABLE ledger_private.fx_rate DROP COLUMN updated_by;
ALTER TABLE ledger_private.day_close DROP COLUMN closed_by;
ALTER TABLE ledger_private.fx_settlement DROP COLUMN created_by;
ALTER TABLE ledger_private.journal DROP COLUMN created_by;
-- A helper procedures/ added with 0012 that returns an earlier migration's type (0007's
-- ledger.eod_status, whose rollback drops it without CASCADE).
DROP FUNCTION IF EXISTS ledger_private.tenant_eod_status(text);
DROP TYPE IF EXISTS ledger.audit_entry CASCADE;
DROP TYPE IF EXISTS ledger.sql_login_info CASCADE;
DROP TYPE IF EXISTS ledger.api_key_info CASCADE;
DROP TYPE IF EXISTS ledger.new_api_key CASCADE;
DROP TYPE IF EXISTS ledger.tenant_info CASCADE;
DROP TYPE IF EXISTS ledger_private.principal CASCADE;
DROP TABLE ledger_private.audit_log;
DROP TABLE ledger_private.sql_login;
DROP TABLE ledger_private.api_key;
DROP TABLE ledger_private.tenant;
-- doublex_app gets back EXECUTE on what doublex_api could run (the API before 0012).
DO $$
DECLARE
    v_function regprocedure;
BEGIN
    FOR v_function IN
        SELECT p.oid FROM pg_proc AS p
         WHERE p.pronamespace = 'ledger'::regnamespace
           AND has_function_privilege('doublex_api', p.oid, 'EXECUTE')
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO doublex_app', v_function);
    END LOOP;
END
$$;
REVOKE ALL ON SCHEMA ledger FROM doublex_service;
REVOKE ALL ON SCHEMA ledger FROM doublex_api;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA ledger FROM doublex_api;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA ledger FROM doublex_service;
RESET ROLE;

DO $$
BEGIN
    DROP ROLE IF EXISTS doublex_service;
    DROP ROLE IF EXISTS doublex_api;
EXCEPTION WHEN dependent_objects_still_exist THEN
    RAISE NOTICE 'doublex_api and doublex_service kept: other databases of this cluster still use them';
END
$$;
