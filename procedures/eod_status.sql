-- ledger.eod_status: a tenant's business calendar.
--
--   SELECT * FROM ledger.eod_status();
--   → tenant, time_zone, cutoff, business_date (now), latest_closed_date, last_closed_at,
--     last_seal, open_dates (dates after the latest close with journals on them, in order),
--     next_posting_date (what a posting without a date gets)
--
-- Raises DX019 (malformed tenant).
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.eod_status(
    tenant text DEFAULT NULL
) RETURNS ledger.eod_status
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ledger_private.tenant_eod_status((ledger_private.authorize('read', eod_status.tenant)).tenant);
END
$$;

COMMENT ON FUNCTION ledger.eod_status(text) IS
    'Business calendar of a tenant: settings, business date, latest close, open dates';
GRANT EXECUTE ON FUNCTION ledger.eod_status(text) TO doublex_api;
