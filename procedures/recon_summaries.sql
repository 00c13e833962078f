-- ledger.recon_summaries: the current reconciliation of a business date, one row per account.
--
--   SELECT * FROM ledger.recon_summaries('2026-11-20');                   -- every account
--   SELECT * FROM ledger.recon_summaries('2026-11-20', account => '1001-CASH');
--
-- The current result of an account and date is its latest ledger.recon_run. Totals are
-- signed as the bank sees them; difference = bank_total − ledger_total; unmatched is the
-- number of exceptions. Read-only (reports run SERIALIZABLE READ ONLY DEFERRABLE).
-- Raises DX019 (tenant), DX020 (account), DX038 (no run for that date), DX039 (no date).
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.recon_summaries(
    business_date date,
    account text DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.recon_summary
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    recon_summaries.tenant := (ledger_private.authorize('read', recon_summaries.tenant)).tenant;
    RETURN QUERY
        SELECT (ledger_private.to_recon_summary(r, a)).*
          FROM ledger_private.latest_recon_runs(recon_summaries.tenant, recon_summaries.business_date,
                                                recon_summaries.account) AS r
          JOIN ledger_private.account AS a ON a.account_id = r.account_id
         ORDER BY a.code;
END
$$;

COMMENT ON FUNCTION ledger.recon_summaries(date, text, text) IS
    'Counts and totals of the current reconciliation of a date, per account';
GRANT EXECUTE ON FUNCTION ledger.recon_summaries(date, text, text) TO doublex_api;
