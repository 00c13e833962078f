-- ledger.trial_balance_totals: the trial balance's totals per currency: how many accounts,
-- their debits and credits, and the net (debits − credits), which is zero in every
-- currency of a ledger whose journals balance.
--
--   SELECT * FROM ledger.trial_balance_totals();
--   SELECT * FROM ledger.trial_balance_totals(as_of => '2026-11-20');
--   → ccy, accounts, debits, credits, net
--
-- as_of: as for ledger.trial_balance. One row per currency the tenant has accounts in.
-- Raises DX019 (malformed tenant).
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.trial_balance_totals(
    as_of date DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.trial_balance_total
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    trial_balance_totals.tenant := (ledger_private.authorize('read', trial_balance_totals.tenant)).tenant;
    RETURN QUERY
        SELECT a.ccy, count(*), sum(t.debits), sum(t.credits), sum(t.debits) - sum(t.credits)
          FROM ledger_private.account AS a
         CROSS JOIN LATERAL ledger_private.account_totals_as_of(a.account_id, a.ccy, trial_balance_totals.as_of) AS t
         WHERE a.tenant = trial_balance_totals.tenant
         GROUP BY a.ccy
         ORDER BY a.ccy;
END
$$;

COMMENT ON FUNCTION ledger.trial_balance_totals(date, text) IS
    'The trial balance''s totals per currency (debits, credits and their net, zero when balanced)';
GRANT EXECUTE ON FUNCTION ledger.trial_balance_totals(date, text) TO doublex_api;
