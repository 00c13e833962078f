-- Roll back 0014_security_fixes: bindings are by role name again (login_oid goes);
-- doublex_service's bind parameters are logged again, unless another database of this
-- cluster still uses the role (role settings are cluster-wide, like the role itself).
-- squawk-ignore-file ban-drop-column

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DO $$
BEGIN
    IF NOT EXISTS (
        SELECT FROM pg_shdepend AS d
         WHERE d.refclassid = 'pg_authid'::regclass
           AND d.refobjid = 'doublex_service'::regrole
           AND d.dbid <> (SELECT oid FROM pg_database WHERE datname = current_database())
    ) THEN
        ALTER ROLE doublex_service RESET log_parameter_max_length;
    ELSE
        RAISE NOTICE 'log_parameter_max_length kept: other databases of this cluster still use doublex_service';
    END IF;
END
$$;

SET LOCAL ROLE doublex_owner;
ALTER TABLE ledger_private.sql_login DROP COLUMN login_oid;
RESET ROLE;
