-- Roll back 0011_monitoring_asks_the_ledger: give doublex_monitor back what 0010 granted
-- (SELECT on the seven tables, USAGE on ledger_private, EXECUTE on ledger.business_date).
-- The monitor functions stay (procedures/ is not re-applied after a rollback); the 0010
-- grants let the exporter's earlier queries run again.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
GRANT USAGE ON SCHEMA ledger_private TO doublex_monitor;
GRANT SELECT ON ledger_private.account, ledger_private.journal, ledger_private.leg,
                ledger_private.balance_checkpoint, ledger_private.balance_watermark,
                ledger_private.ledger_settings, ledger_private.recon_outcome
    TO doublex_monitor;
DO $$
BEGIN
    IF to_regprocedure('ledger.business_date(timestamptz, text)') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION ledger.business_date(timestamptz, text) TO doublex_monitor;
    END IF;
END
$$;
RESET ROLE;
