-- Roll back 0002: the core tables (and the functions that use them go with the schema).

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DROP TABLE IF EXISTS ledger_private.balance_watermark;
DROP TABLE IF EXISTS ledger_private.balance_checkpoint;
DROP TABLE IF EXISTS ledger_private.idempotency_sentinel;
DROP TABLE IF EXISTS ledger_private.leg;
DROP TABLE IF EXISTS ledger_private.journal;
DROP TABLE IF EXISTS ledger_private.account;
DROP TABLE IF EXISTS ledger_private.currency;
