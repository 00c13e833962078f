-- Webhooks (issue #18): endpoints that receive the tenant's events, signed, at least once.
--
-- 1. ledger_private.webhook: an endpoint of a tenant (URL, event types, the secret that
--    signs its deliveries) with its delivery state: `cursor`, the last position of the
--    event log (ledger_private.event) it has done with (delivered or dead-lettered); the
--    failing streak (`failing_since`, `attempts`, `next_attempt_at`: exponential backoff
--    with jitter); and the delivery worker's lease (`claim_token`, `claimed_until`), so one
--    worker at a time delivers to an endpoint, whatever number of processes run one.
-- 2. ledger_private.webhook_delivery: every delivery attempt (the endpoint's history) and
--    every dead letter (outcome `dead_letter`: an event given up after the endpoint failed
--    for the give-up window, 24 h by default). Append-only like the history (DX017).
--
-- The secret is stored as it is (the worker signs with it; only the owner and the
-- SECURITY DEFINER functions read the table); ledger.create_webhook answers it once.
-- Counts (attempts), HTTP statuses and durations are integers: none nears 2^31.
-- squawk-ignore-file prefer-bigint-over-int
-- depends: 0020_events

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;

CREATE TABLE ledger_private.webhook (
    webhook_id      text PRIMARY KEY,
    tenant          text NOT NULL REFERENCES ledger_private.tenant (tenant),
    url             text NOT NULL,
    types           text[],
    secret          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    created_by      text NOT NULL,
    deleted_at      timestamptz,
    deleted_by      text,
    cursor          bigint NOT NULL DEFAULT 0,
    attempts        integer NOT NULL DEFAULT 0,
    failing_since   timestamptz,
    next_attempt_at timestamptz,
    last_error      text,
    claim_token     uuid,
    claimed_until   timestamptz,
    CONSTRAINT webhook_id_format CHECK (webhook_id ~ '^dxw_[0-9a-f]{12}$'),
    CONSTRAINT webhook_url_scheme CHECK (url ~* '^https?://' AND char_length(url) <= 2048),
    CONSTRAINT webhook_types_given CHECK (types IS NULL OR cardinality(types) >= 1),
    CONSTRAINT webhook_secret_length CHECK (char_length(secret) BETWEEN 16 AND 200),
    CONSTRAINT webhook_cursor_position CHECK (cursor >= 0),
    CONSTRAINT webhook_deleted_whole CHECK ((deleted_at IS NULL) = (deleted_by IS NULL))
);
CREATE INDEX webhook_by_tenant ON ledger_private.webhook (tenant, created_at);

CREATE TABLE ledger_private.webhook_delivery (
    delivery_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id   text NOT NULL REFERENCES ledger_private.webhook (webhook_id),
    position     bigint NOT NULL,
    event_id     uuid NOT NULL,
    attempt      integer NOT NULL,
    outcome      text NOT NULL,
    status       integer,
    error        text,
    duration_ms  integer,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_delivery_outcome CHECK (outcome IN ('delivered', 'failed', 'dead_letter')),
    CONSTRAINT webhook_delivery_attempt CHECK (attempt >= 0),
    CONSTRAINT webhook_delivery_error_length CHECK (char_length(error) <= 500)
);
-- An endpoint's history, newest first; its dead letters.
CREATE INDEX webhook_delivery_by_webhook ON ledger_private.webhook_delivery (webhook_id, delivery_id);
CREATE INDEX webhook_dead_letters ON ledger_private.webhook_delivery (webhook_id, delivery_id)
    WHERE outcome = 'dead_letter';

CREATE TRIGGER webhook_delivery_append_only BEFORE UPDATE OR DELETE ON ledger_private.webhook_delivery
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER webhook_delivery_no_truncate BEFORE TRUNCATE ON ledger_private.webhook_delivery
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();

-- The API's result types.
CREATE TYPE ledger.webhook_info AS (
    webhook_id      text,
    url             text,
    types           text[],
    created_at      timestamptz,
    created_by      text,
    deleted_at      timestamptz,
    cursor          bigint,
    attempts        integer,
    failing_since   timestamptz,
    next_attempt_at timestamptz,
    last_error      text
);
COMMENT ON TYPE ledger.webhook_info IS 'A webhook endpoint and its delivery state (never its secret)';

CREATE TYPE ledger.new_webhook AS (
    webhook_id text,
    url        text,
    types      text[],
    secret     text,
    created_at timestamptz,
    created_by text
);
COMMENT ON TYPE ledger.new_webhook IS 'A new webhook endpoint with its signing secret (answered once)';

CREATE TYPE ledger.webhook_delivery_info AS (
    delivery_id  bigint,
    position     bigint,
    event_id     uuid,
    attempt      integer,
    outcome      text,
    status       integer,
    error        text,
    duration_ms  integer,
    attempted_at timestamptz
);
COMMENT ON TYPE ledger.webhook_delivery_info IS 'One delivery attempt or dead letter of a webhook endpoint';

CREATE TYPE ledger.webhook_claim AS (
    claim_token uuid,
    url         text,
    secret      text,
    position    bigint,
    event_id    uuid,
    type        text,
    body        text
);
COMMENT ON TYPE ledger.webhook_claim IS
    'An event the delivery worker claimed for an endpoint, with what it needs to send it (the request body as JSON text)';

CREATE TYPE ledger.webhook_record_result AS (
    delivered     integer,
    failed        integer,
    dead_lettered integer,
    cursor        bigint,
    next_attempt_at timestamptz
);
COMMENT ON TYPE ledger.webhook_record_result IS 'What the delivery worker recorded for one claim';

CREATE TYPE ledger.webhook_endpoint AS (
    webhook_id  text,
    tenant      text,
    lag_seconds double precision
);
COMMENT ON TYPE ledger.webhook_endpoint IS 'A live endpoint and the age of its oldest undelivered event (0: none)';

RESET ROLE;
