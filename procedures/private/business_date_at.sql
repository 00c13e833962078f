-- ledger_private.business_date_at(at, time_zone, cutoff): the business date an instant
-- belongs to. The business day ends at the cut-off, local time: a posting at or after it
-- belongs to the next date. Cut-off 00:00 means midnight: the calendar day.

CREATE OR REPLACE FUNCTION ledger_private.business_date_at(
    p_at timestamptz, p_time_zone text, p_cutoff time
) RETURNS date
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN p_cutoff = '00:00' OR (p_at AT TIME ZONE p_time_zone)::time < p_cutoff
                THEN (p_at AT TIME ZONE p_time_zone)::date
                ELSE (p_at AT TIME ZONE p_time_zone)::date + 1 END
$$;

COMMENT ON FUNCTION ledger_private.business_date_at(timestamptz, text, time) IS
    'Business date of an instant for a time zone and cut-off';
