-- ledger_private.tenant_business_dates() → (tenant, business_date): every tenant that has an
-- account, with its current business date as ledger.business_date computes it (the tenant's
-- time zone and cut-off). The per-tenant monitoring gauges start from it.
-- PL/pgSQL, not SQL: it calls ledger.business_date, which post-apply creates after the
-- private helpers (a SQL body would be checked against it at creation).

CREATE OR REPLACE FUNCTION ledger_private.tenant_business_dates()
RETURNS TABLE (tenant text, business_date date)
LANGUAGE plpgsql STABLE
ROWS 10
AS $$
BEGIN
    RETURN QUERY
    SELECT t.tenant, ledger.business_date(now(), t.tenant)
      FROM (SELECT DISTINCT a.tenant FROM ledger_private.account AS a) AS t;
END
$$;

COMMENT ON FUNCTION ledger_private.tenant_business_dates() IS
    'Every tenant with an account and its current business date';
