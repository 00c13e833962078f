-- ledger.trial_balance: every account of the tenant with its debits, credits and balance
-- (on its normal side), by code, a page at a time.
--
--   SELECT * FROM ledger.trial_balance();                              -- every posting
--   SELECT * FROM ledger.trial_balance(as_of => '2026-11-20', after_code => '1001-CASH');
--   → code, name, type, ccy, normal_side, debits, credits, balance
--
-- as_of        NULL: every leg (each account's checkpoint plus its recent legs, as
--              get_balance reads it); a date: the legs with effective_date ≤ as_of
-- after_code   keyset cursor: the last code of the previous page
-- page_size    1–1000 (default 100)
-- The totals per currency, which net to zero, are ledger.trial_balance_totals.
-- Raises DX019 (malformed tenant, page size out of range).
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.trial_balance(
    as_of date DEFAULT NULL,
    after_code text DEFAULT NULL,
    page_size integer DEFAULT 100,
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.trial_balance_line
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    trial_balance.tenant := (ledger_private.authorize('read', trial_balance.tenant)).tenant;
    PERFORM ledger_private.check_page_size(trial_balance.page_size);
    RETURN QUERY
        SELECT a.code, a.name, a.type, a.ccy, a.normal_side, t.debits, t.credits,
               ledger_private.normal_balance(a.normal_side, t.debits, t.credits)
          FROM ledger_private.account AS a
         CROSS JOIN LATERAL ledger_private.account_totals_as_of(a.account_id, a.ccy, trial_balance.as_of) AS t
         WHERE a.tenant = trial_balance.tenant
           AND (trial_balance.after_code IS NULL OR a.code > trial_balance.after_code)
         ORDER BY a.code
         LIMIT trial_balance.page_size;
END
$$;

COMMENT ON FUNCTION ledger.trial_balance(date, text, integer, text) IS
    'The trial balance: each account''s debits, credits and balance, now or as of a date, keyset-paginated';
GRANT EXECUTE ON FUNCTION ledger.trial_balance(date, text, integer, text) TO doublex_api;
