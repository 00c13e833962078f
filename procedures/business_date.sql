-- ledger.business_date: the business date a posting made at an instant belongs to.
--
--   SELECT ledger.business_date();                                  -- now
--   SELECT ledger.business_date('2026-11-20 18:30+01', 'acme');     -- at an instant
--
-- In the tenant's time zone (default UTC) with its cut-off (default 00:00, the calendar
-- day): the business day ends at the cut-off, local time, and a posting at or after it
-- belongs to the next date. Settings: ledger.set_ledger_settings().
-- Raises DX019 (malformed tenant).
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.business_date(
    at timestamptz DEFAULT now(),
    tenant text DEFAULT NULL
) RETURNS date
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ledger_private.tenant_business_date(
        (ledger_private.authorize('read', business_date.tenant)).tenant, business_date.at);
END
$$;

COMMENT ON FUNCTION ledger.business_date(timestamptz, text) IS
    'Business date of an instant in the tenant''s time zone and cut-off';
GRANT EXECUTE ON FUNCTION ledger.business_date(timestamptz, text) TO doublex_api;
