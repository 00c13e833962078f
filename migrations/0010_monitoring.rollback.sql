-- Roll back 0010: take the monitoring role's grants back; drop the role only when no other
-- database of the cluster still grants it something.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
REVOKE SELECT ON ledger_private.account, ledger_private.journal, ledger_private.leg
    FROM doublex_monitor;
REVOKE USAGE ON SCHEMA ledger_private FROM doublex_monitor;
RESET ROLE;

DO $$
BEGIN
    DROP ROLE IF EXISTS doublex_monitor;
EXCEPTION WHEN dependent_objects_still_exist THEN
    RAISE NOTICE 'doublex_monitor kept: other databases of this cluster still use it';
END
$$;
