-- What has been applied to this database, for ledger.health(): the post-apply step records
-- the applied migration ids after every migration run.
-- depends: 0005_batch_result_type

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

CREATE TABLE ledger_private.schema_state (
    singleton  boolean PRIMARY KEY DEFAULT true,
    migrations text[] NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT schema_state_one_row CHECK (singleton)
);

CREATE TYPE ledger.health_report AS (
    database_time timestamptz,
    migrations    text[],
    applied_at    timestamptz
);

RESET ROLE;
