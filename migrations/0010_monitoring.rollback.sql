-- Roll back 0010: take the monitoring role's grants back; drop the role only when no other
-- database of the cluster still grants it something.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
REVOKE SELECT ON ledger_private.account, ledger_private.journal, ledger_private.leg,
                 ledger_private.balance_checkpoint, ledger_private.balance_watermark,
                 ledger_private.ledger_settings, ledger_private.recon_outcome
    FROM doublex_monitor;
REVOKE USAGE ON SCHEMA ledger, ledger_private FROM doublex_monitor;
DO $$
BEGIN
    IF to_regprocedure('ledger.business_date(timestamptz, text)') IS NOT NULL THEN
        REVOKE EXECUTE ON FUNCTION ledger.business_date(timestamptz, text) FROM doublex_monitor;
    END IF;
END
$$;
RESET ROLE;

DO $$
BEGIN
    DROP ROLE IF EXISTS doublex_monitor;
EXCEPTION WHEN dependent_objects_still_exist THEN
    RAISE NOTICE 'doublex_monitor kept: other databases of this cluster still use it';
END
$$;
