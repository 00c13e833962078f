-- FX: rates per tenant, pair and date; settlements (one per cross-currency transfer, linking
-- its two journals); the row types of the FX functions. The functions live in procedures/.
-- depends: 0007_end_of_day

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

-- One rate per tenant, pair and date: 1 base = rate quote. Upserts replace it (a correction
-- of the day's rate); settlements copy the rate they used, so history never depends on it.
CREATE TABLE ledger_private.fx_rate (
    tenant     text NOT NULL,
    base       text NOT NULL REFERENCES ledger_private.currency (code),
    quote      text NOT NULL REFERENCES ledger_private.currency (code),
    valid_on   date NOT NULL,
    rate       numeric NOT NULL,
    source     text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Lookups read the latest date on or before a day: a backward scan of this key.
    PRIMARY KEY (tenant, base, quote, valid_on),
    CONSTRAINT fx_rate_pair_distinct CHECK (base <> quote),
    CONSTRAINT fx_rate_positive CHECK (rate > 0 AND rate < 1e12 AND scale(rate) <= 12),
    CONSTRAINT fx_rate_source_length CHECK (char_length(source) BETWEEN 1 AND 200)
);

-- One cross-currency transfer: from_account → FX-CLEARING-<source_ccy> (source journal) and
-- FX-CLEARING-<destination_ccy> → to_account (destination journal), both posted in the
-- transaction that writes this row. rate converts 1 source_ccy into destination_ccy; the
-- side that was not fixed is computed and rounded half-even to its currency's exponent;
-- residual = exact − rounded, in that currency (residual_ccy).
-- No foreign keys on purpose, as for legs (sql/README.md): a key check on the account row
-- would take FOR KEY SHARE on every settlement, and one on the journal would read the newest
-- page of the journal key, which every concurrent posting writes. Accounts and journals are
-- never deleted.
CREATE TABLE ledger_private.fx_settlement (
    settlement_id          uuid PRIMARY KEY,
    tenant                 text NOT NULL,
    idempotency_key        text NOT NULL,
    from_account_id        bigint NOT NULL,
    to_account_id          bigint NOT NULL,
    source_ccy             text NOT NULL,
    destination_ccy        text NOT NULL,
    source_amount          numeric NOT NULL,
    destination_amount     numeric NOT NULL,
    rate                   numeric NOT NULL,
    rate_basis             text NOT NULL,
    rate_valid_on          date,
    fixed_side             text NOT NULL,
    residual               numeric NOT NULL,
    residual_ccy           text NOT NULL,
    source_journal_id      uuid NOT NULL,
    destination_journal_id uuid NOT NULL,
    effective_date         date NOT NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    memo                   text,
    ref                    text,
    CONSTRAINT fx_settlement_key_per_tenant UNIQUE (tenant, idempotency_key),
    CONSTRAINT fx_settlement_currencies_differ CHECK (source_ccy <> destination_ccy),
    CONSTRAINT fx_settlement_amounts_positive CHECK (source_amount > 0 AND destination_amount > 0),
    CONSTRAINT fx_settlement_rate_positive CHECK (rate > 0),
    CONSTRAINT fx_settlement_rate_basis_known CHECK (
        rate_basis IN ('direct', 'inverted', 'override')
        AND (rate_basis = 'override') = (rate_valid_on IS NULL)
    ),
    CONSTRAINT fx_settlement_fixed_side_known CHECK (fixed_side IN ('source', 'destination')),
    CONSTRAINT fx_settlement_residual_ccy CHECK (
        residual_ccy = CASE fixed_side WHEN 'source' THEN destination_ccy ELSE source_ccy END
    )
);

-- Settlements are history, like journals: never updated, deleted or truncated.
CREATE TRIGGER fx_settlement_append_only BEFORE UPDATE OR DELETE ON ledger_private.fx_settlement
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER fx_settlement_no_truncate BEFORE TRUNCATE ON ledger_private.fx_settlement
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();

CREATE TYPE ledger.fx_quote AS (
    base      text,
    quote     text,
    rate      numeric,
    valid_on  date,
    direction text,
    source    text
);
COMMENT ON TYPE ledger.fx_quote IS
    '1 base = rate quote, valid from valid_on; direction direct (stored pair) or inverted (1/rate)';

CREATE TYPE ledger.fx_settlement_result AS (
    settlement_id          uuid,
    status                 text,
    idempotency_key        text,
    from_account           text,
    to_account             text,
    source_ccy             text,
    destination_ccy        text,
    source_amount          numeric,
    destination_amount     numeric,
    rate                   numeric,
    rate_basis             text,
    rate_valid_on          date,
    fixed_side             text,
    residual               numeric,
    residual_ccy           text,
    source_journal_id      uuid,
    destination_journal_id uuid,
    effective_date         date,
    created_at             timestamptz
);
COMMENT ON TYPE ledger.fx_settlement_result IS
    'An FX settlement: status posted or duplicate, the rate, both amounts, the residual, both journals';

CREATE TYPE ledger.fx_position_line AS (
    ccy              text,
    clearing_account text,
    position         numeric,
    reporting_ccy    text,
    rate             numeric,
    rate_valid_on    date,
    value            numeric
);
COMMENT ON TYPE ledger.fx_position_line IS
    'Open FX position in one currency (clearing balance) and its value in the reporting currency';

RESET ROLE;
