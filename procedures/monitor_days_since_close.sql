-- ledger.monitor_days_since_close(): the ledger_days gauge (postgres_exporter).
--
--   SELECT * FROM ledger.monitor_days_since_close();
--   → one row per tenant: tenant, since_close (days from the latest closed business date to
--     the current one)
--
-- 1 means yesterday is closed, as closed as a ledger can be while today is open. A tenant
-- that never closed counts from the day before its first journal (a ledger that started
-- today reads 1, one that started a week ago and never closed reads 7); a tenant without
-- journals reads 1. Always a number, so that the "not closed by the deadline" alert can fire.
-- Granted to doublex_monitor only: the monitoring role reads no table itself.

CREATE OR REPLACE FUNCTION ledger.monitor_days_since_close()
RETURNS TABLE (tenant text, since_close integer)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT t.tenant,
           t.business_date
             - coalesce((SELECT s.closed_through FROM ledger_private.ledger_settings AS s
                          WHERE s.tenant = t.tenant),
                        (SELECT min(j.effective_date) - 1 FROM ledger_private.journal AS j
                          WHERE j.tenant = t.tenant),
                        t.business_date - 1) AS since_close
      FROM ledger_private.tenant_business_dates() AS t
$$;

COMMENT ON FUNCTION ledger.monitor_days_since_close() IS
    'Monitoring: days from each tenant''s latest closed business date to its current one';
GRANT EXECUTE ON FUNCTION ledger.monitor_days_since_close() TO doublex_monitor;
