-- Roll back 0022_balance_monitors: the watch triggers and their functions, the monitor
-- tables and the result type (with the functions that return it).

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
DROP TRIGGER leg_monitor_watch ON ledger_private.leg;
DROP TRIGGER hold_leg_monitor_watch ON ledger_private.hold_leg;
DROP TRIGGER hold_resolution_monitor_watch ON ledger_private.hold_resolution;
DROP FUNCTION IF EXISTS ledger_private.monitor_watch();
DROP FUNCTION IF EXISTS ledger_private.tenant_has_monitors(text);
-- The helpers of procedures/ that take a monitor's row (a dependency on the table).
DROP FUNCTION IF EXISTS ledger_private.to_monitor_info(ledger_private.monitor);
DROP TABLE ledger_private.monitor_state;
DROP TABLE ledger_private.monitor;
DROP TYPE IF EXISTS ledger.monitor_info CASCADE;
RESET ROLE;
