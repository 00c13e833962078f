-- Roll back 0002: the core tables, with the helper functions that take their row types
-- (procedures/ re-creates them on the next migration run).

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DROP TABLE IF EXISTS ledger_private.balance_watermark CASCADE;
DROP TABLE IF EXISTS ledger_private.balance_checkpoint CASCADE;
DROP TABLE IF EXISTS ledger_private.idempotency_sentinel CASCADE;
DROP TABLE IF EXISTS ledger_private.leg CASCADE;
DROP TABLE IF EXISTS ledger_private.journal CASCADE;
DROP TABLE IF EXISTS ledger_private.account CASCADE;
DROP TABLE IF EXISTS ledger_private.currency CASCADE;
