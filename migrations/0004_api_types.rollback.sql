-- Roll back 0004: the API row types and every function returning them.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DROP TYPE IF EXISTS ledger.roll_up_result CASCADE;
DROP TYPE IF EXISTS ledger.journal_entry CASCADE;
DROP TYPE IF EXISTS ledger.balance CASCADE;
DROP TYPE IF EXISTS ledger.account_info CASCADE;
DROP TYPE IF EXISTS ledger.posting_result CASCADE;
