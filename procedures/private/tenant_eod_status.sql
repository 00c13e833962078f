-- ledger_private.tenant_eod_status(tenant) → ledger.eod_status: a tenant's business
-- calendar (settings, business date, latest close and seal, open dates, next posting date).
-- Behind ledger.eod_status (which authorizes first) and ledger.set_ledger_settings' answer.

CREATE OR REPLACE FUNCTION ledger_private.tenant_eod_status(p_tenant text)
RETURNS ledger.eod_status
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_settings record;
    v_open date[];
    v_seal bytea;
BEGIN
    SELECT coalesce(s.time_zone, 'UTC') AS time_zone, coalesce(s.cutoff, '00:00') AS cutoff,
           s.closed_through, s.last_closed_at
      INTO v_settings
      FROM (SELECT 1) AS one
      LEFT JOIN ledger_private.ledger_settings AS s ON s.tenant = p_tenant;
    -- The distinct dates after the close, one index probe each (a loose index scan), however
    -- many journals each date holds.
    WITH RECURSIVE open_date (d) AS (
        SELECT min(j.effective_date) FROM ledger_private.journal AS j
         WHERE j.tenant = p_tenant
           AND j.effective_date > coalesce(v_settings.closed_through, '-infinity')
        UNION ALL
        SELECT (SELECT min(j.effective_date) FROM ledger_private.journal AS j
                 WHERE j.tenant = p_tenant AND j.effective_date > o.d)
          FROM open_date AS o
         WHERE o.d IS NOT NULL
    )
    SELECT coalesce(array_agg(o.d ORDER BY o.d) FILTER (WHERE o.d IS NOT NULL), '{}')
      INTO v_open
      FROM open_date AS o;
    SELECT c.seal INTO v_seal
      FROM ledger_private.day_close AS c
     WHERE c.tenant = p_tenant AND c.business_date = v_settings.closed_through;
    RETURN ROW(p_tenant, v_settings.time_zone, v_settings.cutoff,
               ledger_private.business_date_at(now(), v_settings.time_zone, v_settings.cutoff),
               v_settings.closed_through, v_settings.last_closed_at, encode(v_seal, 'hex'),
               v_open, ledger_private.default_effective_date(p_tenant))::ledger.eod_status;
END
$$;

COMMENT ON FUNCTION ledger_private.tenant_eod_status(text) IS
    'Business calendar of a tenant (the row ledger.eod_status answers)';
