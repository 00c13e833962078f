-- A read-only login role for monitoring: postgres_exporter connects as doublex_monitor.
--
-- It gets the built-in pg_monitor (pg_stat_* views, settings) and SELECT on exactly the
-- ledger tables that the exporter's custom queries read (prometheus/postgres_exporter.yml);
-- it can never write, and every statement it runs is bounded by a short statement_timeout
-- so that a slow scrape can never become the database's problem. A query added to the
-- exporter that reads another table needs its GRANT here (or in a later migration).
-- Roles are cluster-wide, so the role is created only when missing (as in 0001).
-- depends: 0009_reconciliation

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'doublex_monitor') THEN
        CREATE ROLE doublex_monitor LOGIN;
    END IF;
END
$$;

ALTER ROLE doublex_monitor SET default_transaction_read_only = on;
ALTER ROLE doublex_monitor SET statement_timeout = '5s';
ALTER ROLE doublex_monitor SET lock_timeout = '1s';
GRANT pg_monitor TO doublex_monitor;

SET LOCAL ROLE doublex_owner;
GRANT USAGE ON SCHEMA ledger, ledger_private TO doublex_monitor;
GRANT SELECT ON ledger_private.account, ledger_private.journal, ledger_private.leg,
                ledger_private.balance_checkpoint, ledger_private.balance_watermark,
                ledger_private.ledger_settings, ledger_private.recon_outcome
    TO doublex_monitor;
-- and EXECUTE on ledger.business_date (procedures/business_date.sql grants it): the tenant's
-- business date has one definition, which the exporter must not copy.
RESET ROLE;
