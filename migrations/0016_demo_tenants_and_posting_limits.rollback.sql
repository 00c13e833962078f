-- Roll back 0016_demo_tenants_and_posting_limits: the demo tenants' table, the posting
-- limit column and the new types (the functions that use them go with them, CASCADE). The
-- demo tenants themselves stay (tenants are never deleted; their keys were revoked or stay
-- valid until revoked by hand).
-- squawk-ignore-file ban-drop-column

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
DROP FUNCTION IF EXISTS ledger.prune_demo_tenants(interval);
DROP TYPE IF EXISTS ledger.trial_balance_total CASCADE;
DROP TYPE IF EXISTS ledger.trial_balance_line CASCADE;
DROP TYPE IF EXISTS ledger.demo_tenant CASCADE;
DROP TABLE ledger_private.demo_tenant;
ALTER TABLE ledger_private.account DROP COLUMN max_leg_amount;
RESET ROLE;
