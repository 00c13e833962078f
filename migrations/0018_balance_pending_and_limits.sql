-- The balance grows its pending side (issue #17): ledger.get_balance answers, beside the
-- posted balance (`balance`, kept for its callers, and `posted`, the same number), the
-- pending hold legs (pending_debits, pending_credits), the available balance the limits
-- apply to (posted minus the pending legs that reduce it) and the account's limits
-- (min_balance: the floor in force, 0 for allow_negative = false; max_balance). They
-- describe the balance now: NULL for a balance as of a date (procedures/get_balance.sql).
-- depends: 0017_holds_and_limits

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

ALTER TYPE ledger.balance ADD ATTRIBUTE posted numeric;
ALTER TYPE ledger.balance ADD ATTRIBUTE pending_debits numeric;
ALTER TYPE ledger.balance ADD ATTRIBUTE pending_credits numeric;
ALTER TYPE ledger.balance ADD ATTRIBUTE available numeric;
ALTER TYPE ledger.balance ADD ATTRIBUTE min_balance numeric;
ALTER TYPE ledger.balance ADD ATTRIBUTE max_balance numeric;
COMMENT ON TYPE ledger.balance IS
    'Balance on the account''s normal side, with its debit and credit totals; now: also pending hold legs, available balance and limits';

RESET ROLE;
