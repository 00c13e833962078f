-- Roll back 0019_open_holds_and_pending_at_close: the open hold legs and their triggers,
-- the pending totals of the snapshots.
-- squawk-ignore-file ban-drop-column

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
DROP TRIGGER hold_resolution_closes ON ledger_private.hold_resolution;
DROP TRIGGER hold_leg_opens ON ledger_private.hold_leg;
DROP FUNCTION IF EXISTS ledger_private.open_hold_legs_resolved();
DROP FUNCTION IF EXISTS ledger_private.open_hold_legs_added();
DROP TABLE ledger_private.open_hold_leg;
ALTER TABLE ledger_private.account_snapshot DROP COLUMN pending_credits;
ALTER TABLE ledger_private.account_snapshot DROP COLUMN pending_debits;
RESET ROLE;
