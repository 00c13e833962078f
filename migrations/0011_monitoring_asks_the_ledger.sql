-- Monitoring asks the ledger: the exporter's ledger gauges are now functions of the ledger's
-- (procedures/monitor_*.sql, SECURITY DEFINER, EXECUTE granted to doublex_monitor there), so
-- the monitoring role needs no table privileges at all. Take back what 0010 granted for the
-- queries that read the tables themselves: SELECT on its seven tables, USAGE on
-- ledger_private, and EXECUTE on ledger.business_date (the monitor functions call it as the
-- owner). doublex_monitor keeps pg_monitor (server activity, the lock gauge) and USAGE on
-- schema ledger, where its functions are.
-- depends: 0010_monitoring

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
-- Every table, not only the seven: the role reads none.
REVOKE ALL ON ALL TABLES IN SCHEMA ledger_private FROM doublex_monitor;
REVOKE USAGE ON SCHEMA ledger_private FROM doublex_monitor;
-- EXECUTE on every function of the API schema, ledger.business_date included (created by
-- procedures/, so it may not exist yet): post-apply, which runs after the migrations, grants
-- the role its monitoring functions (procedures/monitor_*.sql) and nothing else.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA ledger FROM doublex_monitor;
RESET ROLE;
