-- Demo tenants and per-account posting limits (issue #16).
--
-- 1. ledger_private.account.max_leg_amount: the largest amount one leg may move on the
--    account (NULL: no limit, every account so far). The leg trigger, which already reads
--    the account row of every leg, refuses a larger leg with DX047, so the limit holds on
--    every path (single postings, batches, reversals, FX) at no extra lookup. A nullable
--    column without a default: no table rewrite.
-- 2. ledger_private.demo_tenant: the tenants ledger.create_demo_tenant made for anonymous
--    visitors of the live page, with the address that asked (the per-address, per-hour
--    bound counts these rows) and when ledger.prune_demo_tenants archived them (their keys
--    revoked: journals are append-only, so a tenant is never deleted).
-- 3. ledger.demo_tenant (what create_demo_tenant answers), ledger.trial_balance_line and
--    ledger.trial_balance_total (the trial balance, a page of accounts and the totals per
--    currency).
-- depends: 0015_key_rate_limits

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;

ALTER TABLE ledger_private.account ADD COLUMN max_leg_amount numeric;

CREATE TABLE ledger_private.demo_tenant (
    tenant         text PRIMARY KEY REFERENCES ledger_private.tenant (tenant),
    client_address inet NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    archived_at    timestamptz,
    CONSTRAINT demo_tenant_name CHECK (tenant ~ '^demo-[0-9a-f]{16}$')
);
-- The per-address bound: the address's tenants of the last hour.
CREATE INDEX demo_tenant_by_address ON ledger_private.demo_tenant (client_address, created_at);
-- The prune: the unarchived ones, oldest first.
CREATE INDEX demo_tenant_live ON ledger_private.demo_tenant (created_at) WHERE archived_at IS NULL;

CREATE TYPE ledger.demo_tenant AS (
    tenant        text,
    key_id        text,
    token         text,
    debit_account text,
    credit_account text,
    ccy           text,
    posting_limit numeric,
    created_at    timestamptz
);

CREATE TYPE ledger.trial_balance_line AS (
    code        text,
    name        text,
    type        text,
    ccy         text,
    normal_side text,
    debits      numeric,
    credits     numeric,
    balance     numeric
);

CREATE TYPE ledger.trial_balance_total AS (
    ccy      text,
    accounts bigint,
    debits   numeric,
    credits  numeric,
    net      numeric
);

RESET ROLE;
