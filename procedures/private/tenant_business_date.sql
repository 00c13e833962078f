-- ledger_private.tenant_business_date(tenant, at) → date: the business date an instant
-- belongs to in the tenant's time zone and cut-off (defaults UTC, 00:00). Behind
-- ledger.business_date (which authorizes first) and the monitoring gauges
-- (tenant_business_dates), which run for every tenant.

CREATE OR REPLACE FUNCTION ledger_private.tenant_business_date(p_tenant text, p_at timestamptz)
RETURNS date
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_time_zone text := 'UTC';
    v_cutoff time := '00:00'::time;
BEGIN
    SELECT s.time_zone, s.cutoff INTO v_time_zone, v_cutoff
      FROM ledger_private.ledger_settings AS s WHERE s.tenant = p_tenant;
    RETURN ledger_private.business_date_at(coalesce(p_at, now()),
                                           coalesce(v_time_zone, 'UTC'), coalesce(v_cutoff, '00:00'));
END
$$;

COMMENT ON FUNCTION ledger_private.tenant_business_date(text, timestamptz) IS
    'Business date of an instant in a tenant''s time zone and cut-off';
