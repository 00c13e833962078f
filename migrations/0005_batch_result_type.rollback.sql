-- Roll back 0005: the batch result type and ledger.post_journals with it.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DROP TYPE IF EXISTS ledger.batch_item_result CASCADE;
