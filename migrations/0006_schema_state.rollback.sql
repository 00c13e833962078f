-- Roll back 0006: the schema state and ledger.health with its type.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DROP TYPE IF EXISTS ledger.health_report CASCADE;
DROP TABLE IF EXISTS ledger_private.schema_state;
