-- ledger.monitor_unbalanced_journals(): the ledger_unbalanced gauge (postgres_exporter).
--
--   SELECT * FROM ledger.monitor_unbalanced_journals();
--   → journals (created in the window, unbalanced per currency or without legs: must be 0),
--     window_seconds (how far back it looks: 900)
--
-- The triggers make an unbalanced journal impossible; the gauge proves it continuously.
-- Bounded on purpose: it checks only the journals created in the last 15 minutes (journal
-- ids are UUIDv7, so "journal_id >= the UUID of 15 minutes ago" is a range scan of the
-- journal and leg primary keys), never the whole leg table. The bound is written inline, not
-- in a CTE, so that the planner estimates it (now() is evaluated for estimates) and picks
-- the ranges (tests/test_observability_exporter.py checks the plan of this body). Scraped
-- every 15 s, every journal is checked about 60 times before it leaves the window; a full
-- audit of history is a batch job's work, not a scrape's.
-- Granted to doublex_monitor only: the monitoring role reads no table itself.

CREATE OR REPLACE FUNCTION ledger.monitor_unbalanced_journals()
RETURNS TABLE (journals bigint, window_seconds integer)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT count(DISTINCT bad.journal_id) AS journals,
           900 AS window_seconds
      FROM (SELECT j.journal_id
              FROM ledger_private.journal AS j
              LEFT JOIN ledger_private.leg AS l ON l.journal_id = j.journal_id
             WHERE j.journal_id >= (lpad(to_hex((extract(epoch FROM now() - interval '15 minutes')
                                                 * 1000)::bigint), 12, '0')
                                    || '00000000000000000000')::uuid
             GROUP BY j.journal_id, l.ccy
            HAVING count(l.journal_id) = 0
                OR sum(ledger_private.signed_amount(l.side, l.amount)) <> 0) AS bad
$$;

COMMENT ON FUNCTION ledger.monitor_unbalanced_journals() IS
    'Monitoring: journals of the last 15 minutes that do not balance per currency (must be 0)';
GRANT EXECUTE ON FUNCTION ledger.monitor_unbalanced_journals() TO doublex_monitor;
