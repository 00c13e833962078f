-- Roll back 0018_balance_pending_and_limits: ledger.balance without its pending side.
-- squawk-ignore-file ban-drop-column

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
ALTER TYPE ledger.balance DROP ATTRIBUTE max_balance;
ALTER TYPE ledger.balance DROP ATTRIBUTE min_balance;
ALTER TYPE ledger.balance DROP ATTRIBUTE available;
ALTER TYPE ledger.balance DROP ATTRIBUTE pending_credits;
ALTER TYPE ledger.balance DROP ATTRIBUTE pending_debits;
ALTER TYPE ledger.balance DROP ATTRIBUTE posted;
COMMENT ON TYPE ledger.balance IS 'Balance on the account''s normal side, with its debit and credit totals';
RESET ROLE;
