-- Row types the API returns. Composite types rather than RETURNS TABLE so that an output
-- column may share its name with an input parameter (get_balance(account) → account).
-- depends: 0003_invariant_triggers

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

CREATE TYPE ledger.posting_result AS (
    journal_id     uuid,
    status         text,
    effective_date date,
    created_at     timestamptz
);
COMMENT ON TYPE ledger.posting_result IS 'Outcome of a posting: status is posted or duplicate';

CREATE TYPE ledger.account_info AS (
    id             bigint,
    code           text,
    name           text,
    ccy            text,
    type           text,
    normal_side    text,
    status         text,
    allow_negative boolean,
    metadata       jsonb,
    created_at     timestamptz
);

CREATE TYPE ledger.balance AS (
    account         text,
    ccy             text,
    balance         numeric,
    debits          numeric,
    credits         numeric,
    as_of           date,
    snapshot_source text
);
COMMENT ON TYPE ledger.balance IS 'Balance on the account''s normal side, with its debit and credit totals';

CREATE TYPE ledger.journal_entry AS (
    journal_id      uuid,
    idempotency_key text,
    kind            text,
    effective_date  date,
    created_at      timestamptz,
    memo            text,
    ref             text,
    metadata        jsonb,
    reverses        uuid,
    reversed_by     uuid,
    legs            jsonb,
    cursor          text
);

CREATE TYPE ledger.roll_up_result AS (
    tenant           text,
    accounts_updated integer,
    legs_folded      bigint,
    below_txid       bigint
);

RESET ROLE;
