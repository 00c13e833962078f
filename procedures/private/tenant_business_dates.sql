-- ledger_private.tenant_business_dates() → (tenant, business_date): every tenant that has an
-- account, with its current business date (tenant_business_date: the tenant's time zone and
-- cut-off). The per-tenant monitoring gauges start from it.

CREATE OR REPLACE FUNCTION ledger_private.tenant_business_dates()
RETURNS TABLE (tenant text, business_date date)
LANGUAGE plpgsql STABLE
ROWS 10
AS $$
BEGIN
    RETURN QUERY
    SELECT t.tenant, ledger_private.tenant_business_date(t.tenant, now())
      FROM (SELECT DISTINCT a.tenant FROM ledger_private.account AS a) AS t;
END
$$;

COMMENT ON FUNCTION ledger_private.tenant_business_dates() IS
    'Every tenant with an account and its current business date';
