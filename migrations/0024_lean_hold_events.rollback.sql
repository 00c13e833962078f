-- Roll back 0024_lean_hold_events: holds and hold resolutions queue their events through
-- ledger_private.record_event again. Run the previous version's procedures/ after it (its
-- record_event has the hold branches).

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
CREATE OR REPLACE TRIGGER hold_event AFTER INSERT ON ledger_private.hold
    FOR EACH ROW EXECUTE FUNCTION ledger_private.record_event();
CREATE OR REPLACE TRIGGER hold_resolution_event AFTER INSERT ON ledger_private.hold_resolution
    FOR EACH ROW EXECUTE FUNCTION ledger_private.record_event();
-- squawk-ignore ban-drop-function
DROP FUNCTION ledger_private.record_hold_event();
-- squawk-ignore ban-drop-function
DROP FUNCTION ledger_private.record_hold_resolution_event();
RESET ROLE;
