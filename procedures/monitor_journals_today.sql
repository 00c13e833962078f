-- ledger.monitor_journals_today(): the ledger_journals gauge (postgres_exporter).
--
--   SELECT * FROM ledger.monitor_journals_today();
--   → one row per tenant: tenant, today (journals effective on the tenant's current
--     business date, as ledger.business_date computes it)
--
-- One index range (journal_by_date) per tenant (a correlated count, never a join over the
-- journal table); tenants come from ledger_private.tenant_business_dates.
-- Granted to doublex_monitor only: the monitoring role reads no table itself.

CREATE OR REPLACE FUNCTION ledger.monitor_journals_today()
RETURNS TABLE (tenant text, today bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.tenant,
           (SELECT count(*) FROM ledger_private.journal AS j
             WHERE j.tenant = t.tenant AND j.effective_date = t.business_date) AS today
      FROM ledger_private.tenant_business_dates() AS t
$$;

COMMENT ON FUNCTION ledger.monitor_journals_today() IS
    'Monitoring: journals effective on each tenant''s current business date';
GRANT EXECUTE ON FUNCTION ledger.monitor_journals_today() TO doublex_monitor;
