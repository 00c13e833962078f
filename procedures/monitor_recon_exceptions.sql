-- ledger.monitor_recon_exceptions(): the ledger_recon gauge (postgres_exporter).
--
--   SELECT * FROM ledger.monitor_recon_exceptions();
--   → one row per exception kind (amount_mismatch, missing_in_ledger, missing_in_bank),
--     0 included so that the series exist: kind, open_exceptions
--
-- Open exceptions are those in the current result of every account and business date
-- reconciled in the last 7 days. An exception is "open" until a re-run (after the ledger or
-- the statement is corrected) replaces it; results older than a week are history, not an
-- alert. Granted to doublex_monitor only: the monitoring role reads no table itself.

CREATE OR REPLACE FUNCTION ledger.monitor_recon_exceptions()
RETURNS TABLE (kind text, open_exceptions bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT k.kind, count(o.kind) AS open_exceptions
      FROM unnest(ARRAY['amount_mismatch', 'missing_in_ledger', 'missing_in_bank']) AS k (kind)
      LEFT JOIN ledger_private.recon_outcome AS o
             ON o.kind = k.kind AND o.business_date >= (now() AT TIME ZONE 'UTC')::date - 7
     GROUP BY k.kind
$$;

COMMENT ON FUNCTION ledger.monitor_recon_exceptions() IS
    'Monitoring: open reconciliation exceptions per kind (current results of the last 7 days)';
GRANT EXECUTE ON FUNCTION ledger.monitor_recon_exceptions() TO doublex_monitor;
