-- Reconciliation: bank statement lines imported per ledger account, the log of
-- reconciliation runs, and the current outcome (match or exception) of every statement
-- line and leg of a reconciled account and business date. DESIGN.md §7.
-- depends: 0008_fx

-- Line numbers and counts of one statement file or run stay far below 2^31 (ids are bigint).
-- squawk-ignore-file prefer-bigint-over-int

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

-- One imported statement file per row. `fingerprint` is the SHA-256 of the staged lines
-- (ledger.import_statement computes it), so importing the same file again for the same
-- account is recognised and adds nothing.
CREATE TABLE ledger_private.statement_import (
    import_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant      text NOT NULL,
    account_id  bigint NOT NULL,
    fingerprint bytea NOT NULL,
    file_name   text,
    lines       integer NOT NULL,
    added       integer NOT NULL,
    skipped     integer NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT statement_import_once UNIQUE (tenant, account_id, fingerprint),
    CONSTRAINT statement_import_counts CHECK (lines = added + skipped)
);

-- A bank statement line of a ledger account, as the bank sees it: a positive amount is
-- money in. No foreign keys, like legs: lines are written in bulk only by
-- ledger.import_statement, which resolves the account and the import itself, and neither
-- accounts nor imports are ever deleted. A line is the same bank movement as another when
-- it has the same bank `id` (bank_id), or, without an id, the same date, ref and amount:
-- the two partial unique indexes make imports idempotent per line.
CREATE TABLE ledger_private.statement_line (
    line_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant      text NOT NULL,
    account_id  bigint NOT NULL,
    import_id   bigint NOT NULL,
    line_no     integer NOT NULL,
    line_date   date NOT NULL,
    ref         text,
    amount      numeric NOT NULL,
    ccy         text NOT NULL,
    description text,
    bank_id     text,
    CONSTRAINT statement_line_identified CHECK (ref IS NOT NULL OR bank_id IS NOT NULL)
);

CREATE UNIQUE INDEX statement_line_by_bank_id ON ledger_private.statement_line (account_id, bank_id)
    WHERE bank_id IS NOT NULL;
CREATE UNIQUE INDEX statement_line_by_content
    ON ledger_private.statement_line (account_id, line_date, ref, amount)
    WHERE bank_id IS NULL;
CREATE INDEX statement_line_by_date ON ledger_private.statement_line (account_id, line_date);

CREATE TRIGGER statement_line_append_only BEFORE UPDATE OR DELETE ON ledger_private.statement_line
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER statement_line_no_truncate BEFORE TRUNCATE ON ledger_private.statement_line
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER statement_import_append_only BEFORE UPDATE OR DELETE ON ledger_private.statement_import
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER statement_import_no_truncate BEFORE TRUNCATE ON ledger_private.statement_import
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();

-- The append-only log of reconciliation runs, one row per ledger.recon_run call, with
-- what it found. The latest run of an account and date is its current result; the sums
-- of the exception counts over all runs are the counter ledger_recon_mismatches_total.
CREATE TABLE ledger_private.recon_run (
    run_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant            text NOT NULL,
    account_id        bigint NOT NULL,
    business_date     date NOT NULL,
    tolerance         numeric NOT NULL,
    ran_at            timestamptz NOT NULL DEFAULT now(),
    statement_lines   integer NOT NULL,
    legs              integer NOT NULL,
    matched           integer NOT NULL,
    amount_mismatch   integer NOT NULL,
    missing_in_ledger integer NOT NULL,
    missing_in_bank   integer NOT NULL,
    bank_total        numeric NOT NULL,
    ledger_total      numeric NOT NULL,
    CONSTRAINT recon_run_tolerance_not_negative CHECK (tolerance >= 0),
    CONSTRAINT recon_run_lines_accounted CHECK (
        statement_lines = matched + amount_mismatch + missing_in_ledger),
    CONSTRAINT recon_run_legs_accounted CHECK (legs = matched + amount_mismatch + missing_in_bank)
);

CREATE INDEX recon_run_latest ON ledger_private.recon_run (tenant, business_date, account_id, run_id);

CREATE TRIGGER recon_run_append_only BEFORE UPDATE OR DELETE ON ledger_private.recon_run
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER recon_run_no_truncate BEFORE TRUNCATE ON ledger_private.recon_run
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();

-- The current outcome of an account and business date: the latest run's matches and
-- exceptions. A re-run deletes the previous run's rows and writes its own. The unique
-- indexes hold the rules whoever writes: a statement line has at most one outcome (the run
-- gives it exactly one), a leg is in at most one pair or exception.
--   matched            line and leg paired (pass 1: same ref; pass 2: amount), |delta| ≤ tolerance
--   amount_mismatch    line and leg with the same ref whose amounts differ by more
--   missing_in_ledger  a line with no leg
--   missing_in_bank    a leg with no line
-- Amounts are signed as the bank sees them; delta = bank amount − ledger amount (a missing
-- side counts as 0), so the deltas of a run add up to bank_total − ledger_total.
CREATE TABLE ledger_private.recon_outcome (
    run_id        bigint NOT NULL REFERENCES ledger_private.recon_run (run_id),
    tenant        text NOT NULL,
    account_id    bigint NOT NULL,
    business_date date NOT NULL,
    kind          text NOT NULL,
    match_pass    smallint,
    line_id       bigint,
    journal_id    uuid,
    leg_no        smallint,
    bank_amount   numeric,
    ledger_amount numeric,
    delta         numeric NOT NULL,
    CONSTRAINT recon_outcome_kind_known CHECK (
        kind IN ('matched', 'amount_mismatch', 'missing_in_ledger', 'missing_in_bank')),
    CONSTRAINT recon_outcome_shape CHECK (
        CASE kind
            WHEN 'matched' THEN line_id IS NOT NULL AND journal_id IS NOT NULL AND match_pass IN (1, 2)
            WHEN 'amount_mismatch' THEN line_id IS NOT NULL AND journal_id IS NOT NULL AND match_pass = 1
            WHEN 'missing_in_ledger' THEN line_id IS NOT NULL AND journal_id IS NULL AND match_pass IS NULL
            ELSE line_id IS NULL AND journal_id IS NOT NULL AND match_pass IS NULL
        END),
    CONSTRAINT recon_outcome_leg_whole CHECK ((journal_id IS NULL) = (leg_no IS NULL))
);

CREATE UNIQUE INDEX recon_outcome_one_per_line ON ledger_private.recon_outcome (line_id)
    WHERE line_id IS NOT NULL;
CREATE UNIQUE INDEX recon_outcome_one_per_leg ON ledger_private.recon_outcome (journal_id, leg_no)
    WHERE journal_id IS NOT NULL;
CREATE INDEX recon_outcome_by_date ON ledger_private.recon_outcome (tenant, business_date, account_id);
CREATE INDEX recon_outcome_by_run ON ledger_private.recon_outcome (run_id);

-- Row types of the API.
CREATE TYPE ledger.statement_import_result AS (
    import_id bigint,
    status    text,
    account   text,
    lines     integer,
    added     integer,
    skipped   integer
);
COMMENT ON TYPE ledger.statement_import_result IS
    'An import: status imported, or duplicate when the same file was imported before';

CREATE TYPE ledger.recon_summary AS (
    run_id            bigint,
    account           text,
    ccy               text,
    business_date     date,
    tolerance         numeric,
    ran_at            timestamptz,
    statement_lines   integer,
    legs              integer,
    matched           integer,
    unmatched         integer,
    amount_mismatch   integer,
    missing_in_ledger integer,
    missing_in_bank   integer,
    bank_total        numeric,
    ledger_total      numeric,
    difference        numeric
);
COMMENT ON TYPE ledger.recon_summary IS
    'One reconciliation of an account and business date: counts and totals (bank view)';

CREATE TYPE ledger.recon_item AS (
    account        text,
    business_date  date,
    kind           text,
    match_pass     smallint,
    line           integer,
    file_name      text,
    ref            text,
    description    text,
    bank_amount    numeric,
    journal_id     uuid,
    leg_no         smallint,
    journal_ref    text,
    ledger_amount  numeric,
    amount         numeric,
    delta          numeric
);
COMMENT ON TYPE ledger.recon_item IS
    'A match or an exception of the current reconciliation of an account and date';

CREATE TYPE ledger.recon_mismatch_total AS (
    kind  text,
    total bigint
);

RESET ROLE;
