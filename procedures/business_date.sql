-- ledger.business_date: the business date a posting made at an instant belongs to.
--
--   SELECT ledger.business_date();                                  -- now
--   SELECT ledger.business_date('2026-11-20 18:30+01', 'acme');     -- at an instant
--
-- In the tenant's time zone (default UTC) with its cut-off (default 00:00, the calendar
-- day): the business day ends at the cut-off, local time, and a posting at or after it
-- belongs to the next date. Settings: ledger.set_ledger_settings().
-- Raises DX019 (malformed tenant).

CREATE OR REPLACE FUNCTION ledger.business_date(
    at timestamptz DEFAULT now(),
    tenant text DEFAULT 'default'
) RETURNS date
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_time_zone text := 'UTC';
    v_cutoff time := '00:00'::time;
BEGIN
    PERFORM ledger_private.check_tenant(business_date.tenant);
    SELECT s.time_zone, s.cutoff INTO v_time_zone, v_cutoff
      FROM ledger_private.ledger_settings AS s WHERE s.tenant = business_date.tenant;
    RETURN ledger_private.business_date_at(coalesce(business_date.at, now()),
                                           coalesce(v_time_zone, 'UTC'), coalesce(v_cutoff, '00:00'));
END
$$;

COMMENT ON FUNCTION ledger.business_date(timestamptz, text) IS
    'Business date of an instant in the tenant''s time zone and cut-off';
GRANT EXECUTE ON FUNCTION ledger.business_date(timestamptz, text) TO doublex_app;
