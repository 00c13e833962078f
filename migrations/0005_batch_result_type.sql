-- The row type of ledger.post_journals(): one result per request of a batch.
-- depends: 0004_api_types

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

CREATE TYPE ledger.batch_item_result AS (
    position        integer,
    idempotency_key text,
    journal_id      uuid,
    status          text,
    effective_date  date,
    created_at      timestamptz,
    error_code      text,
    error_field     text,
    error_message   text
);
COMMENT ON TYPE ledger.batch_item_result IS
    'One request of a batch: posted, duplicate, or rejected with its DX code and message';

RESET ROLE;
