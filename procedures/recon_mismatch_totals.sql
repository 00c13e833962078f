-- ledger.recon_mismatch_totals: exceptions found by every reconciliation run so far, by kind.
--
--   SELECT * FROM ledger.recon_mismatch_totals();
--   → (amount_mismatch, n), (missing_in_bank, n), (missing_in_ledger, n)
--
-- Sums the append-only run log, so a total never decreases: the REST service exports it as
-- the counter ledger_recon_mismatches_total{kind}, whichever process ran the
-- reconciliations (the CLI, a SQL caller). A re-run counts again: the counter counts the
-- exceptions each run produces. Raises DX019 (tenant), before anything is read.
-- Capability read (or audit), on the caller's own tenant: DX040–DX043; housekeeping: the
-- service's login (doublex_service) without a key may run it for any existing tenant
-- (ledger_private.authorize_housekeeping).

CREATE OR REPLACE FUNCTION ledger.recon_mismatch_totals(
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.recon_mismatch_total
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    recon_mismatch_totals.tenant :=
        (ledger_private.authorize_housekeeping('read', recon_mismatch_totals.tenant)).tenant;
    RETURN QUERY
    SELECT k.kind, k.total
      FROM (SELECT coalesce(sum(r.amount_mismatch), 0)::bigint AS amount_mismatch,
                   coalesce(sum(r.missing_in_bank), 0)::bigint AS missing_in_bank,
                   coalesce(sum(r.missing_in_ledger), 0)::bigint AS missing_in_ledger
              FROM ledger_private.recon_run AS r
             WHERE r.tenant = recon_mismatch_totals.tenant) AS t
     CROSS JOIN LATERAL (VALUES ('amount_mismatch', t.amount_mismatch),
                                ('missing_in_bank', t.missing_in_bank),
                                ('missing_in_ledger', t.missing_in_ledger)) AS k (kind, total);
END
$$;

COMMENT ON FUNCTION ledger.recon_mismatch_totals(text) IS
    'Exceptions of every reconciliation run so far, by kind (the recon mismatch counter)';
GRANT EXECUTE ON FUNCTION ledger.recon_mismatch_totals(text) TO doublex_api;
-- Housekeeping: the service's own login calls it without a key (authorize_housekeeping).
GRANT EXECUTE ON FUNCTION ledger.recon_mismatch_totals(text) TO doublex_service;
