-- Roll back 0017_holds_and_limits: the hold tables, their trigger functions, the result
-- types (with the functions that return them) and the account limits.
-- squawk-ignore-file ban-drop-column, ban-drop-constraint

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
DROP TABLE ledger_private.hold_resolution;
DROP TABLE ledger_private.hold_leg;
DROP TABLE ledger_private.hold;
DROP FUNCTION IF EXISTS ledger_private.hold_leg_before_insert();
DROP FUNCTION IF EXISTS ledger_private.hold_leg_commit_checks();
DROP TYPE IF EXISTS ledger.hold_result CASCADE;
DROP TYPE IF EXISTS ledger.hold_resolution_result CASCADE;
DROP TYPE IF EXISTS ledger.hold_info CASCADE;
DROP TYPE IF EXISTS ledger.available_balance CASCADE;
ALTER TABLE ledger_private.account DROP CONSTRAINT account_limits_ordered;
ALTER TABLE ledger_private.account DROP COLUMN max_balance;
ALTER TABLE ledger_private.account DROP COLUMN min_balance;
RESET ROLE;
