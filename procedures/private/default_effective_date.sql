-- ledger_private.default_effective_date(tenant): the business date a posting without an
-- effective date belongs to: the tenant's current business date (its time zone and
-- cut-off, ledger.set_ledger_settings), or the day after the latest closed date when that
-- one is closed already.
-- PL/pgSQL so that its one query is planned once per session (it runs on most postings).

CREATE OR REPLACE FUNCTION ledger_private.default_effective_date(p_tenant text) RETURNS date
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_date date;
BEGIN
    SELECT greatest(ledger_private.business_date_at(now(), s.time_zone, s.cutoff),
                    s.closed_through + 1)
      INTO v_date
      FROM ledger_private.ledger_settings AS s
     WHERE s.tenant = p_tenant;
    RETURN coalesce(v_date, (now() AT TIME ZONE 'UTC')::date);
END
$$;

COMMENT ON FUNCTION ledger_private.default_effective_date(text) IS
    'Business date for postings without an effective date: today''s, or the next open one';
