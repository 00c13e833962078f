-- ledger_private.event_of_day_close(close): day.closed, a closed business date with its
-- counts and its seal (hex).

CREATE OR REPLACE FUNCTION ledger_private.event_of_day_close(p_row jsonb)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT ledger_private.emit_event(
        p.tenant, 'day.closed', p.closed_by,
        jsonb_build_object('business_date', p.business_date, 'closed_at', p.closed_at,
                           'journals', p.journals, 'legs', p.legs, 'accounts', p.accounts,
                           'seal', encode(p.seal, 'hex')))
      FROM jsonb_populate_record(NULL::ledger_private.day_close, p_row) AS p;
$$;

COMMENT ON FUNCTION ledger_private.event_of_day_close(jsonb) IS
    'Queues day.closed';
