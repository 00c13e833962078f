-- Security review of #14: no API key in the server log; a login's binding is its role's.
--
-- 1. The REST service hands each request's key to the database as a bind parameter
-- (set_config('doublex.api_key', $2, true)), and PostgreSQL writes bind parameters in full
-- into the log of every statement it logs (log_parameter_max_length = -1 by default): an
-- operator who turns on log_statement = all or log_min_duration_statement = 0 to debug
-- would collect every client's key. log_parameter_max_length = 0 for doublex_service keeps
-- its parameters out of statement logs (errors already log none:
-- log_parameter_max_length_on_error is 0). It is superuser-only, so the service cannot undo
-- it; like the role settings of 0012 and 0013 it is cluster-wide and applies to new
-- sessions. The migration runs as a superuser since 0013.
-- 2. ledger_private.sql_login bound a role *name*: a role dropped without unbinding, and a
--    role created later under that name (for someone else), inherited its tenant and
--    capabilities. The binding now also holds the role's oid (login_oid), which
--    ledger_private.authorize compares with the session's; bindings of roles that no
--    longer exist are stale and go.
-- squawk-ignore-file adding-not-nullable-field
-- depends: 0013_time_limits_and_advisory_locks

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

ALTER ROLE doublex_service SET log_parameter_max_length = 0;

SET LOCAL ROLE doublex_owner;
ALTER TABLE ledger_private.sql_login ADD COLUMN login_oid oid;
UPDATE ledger_private.sql_login AS l SET login_oid = r.oid
  FROM pg_catalog.pg_roles AS r WHERE r.rolname = l.login;
DELETE FROM ledger_private.sql_login WHERE login_oid IS NULL;
ALTER TABLE ledger_private.sql_login ALTER COLUMN login_oid SET NOT NULL;
RESET ROLE;
