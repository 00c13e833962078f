-- ledger.health: is the database answering, and which migrations does it have?
--
--   SELECT * FROM ledger.health();
--   → database_time, migrations (applied ids, in order), applied_at (last migration run)
--
-- Read-only; the REST service's /api/health compares the list with its own migrations.

CREATE OR REPLACE FUNCTION ledger.health()
RETURNS ledger.health_report
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ROW(now(), coalesce(s.migrations, '{}'), s.applied_at)::ledger.health_report
      FROM (SELECT 1) AS one
      LEFT JOIN ledger_private.schema_state AS s ON s.singleton
$$;

COMMENT ON FUNCTION ledger.health() IS 'Database time and the applied migrations';
GRANT EXECUTE ON FUNCTION ledger.health() TO doublex_api;
