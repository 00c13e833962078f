-- ledger_private.check_period(from_date, to_date, max_days): the period of a read over dates.
-- from_date after to_date is DX029 (from_date). With max_days (account statements) both dates
-- are required and finite, and the period holds at most max_days days, from_date to to_date
-- inclusive: DX029 naming the field. Without it (NULL) a NULL bound is open.

CREATE OR REPLACE FUNCTION ledger_private.check_period(p_from date, p_to date, p_max_days integer)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_missing text := CASE WHEN p_max_days IS NULL THEN NULL
                           WHEN p_from IS NULL OR NOT isfinite(p_from) THEN 'from_date'
                           WHEN p_to IS NULL OR NOT isfinite(p_to) THEN 'to_date' END;
BEGIN
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX029', COLUMN = v_missing,
            MESSAGE = format('%s: a statement needs a finite date, got %s', v_missing,
                             coalesce(CASE v_missing WHEN 'from_date' THEN p_from ELSE p_to END::text,
                                      'NULL'));
    END IF;
    IF p_from > p_to THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX029', COLUMN = 'from_date',
            MESSAGE = format('from_date: %s is after to_date %s', p_from, p_to);
    END IF;
    IF p_to - p_from >= p_max_days THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX029', COLUMN = 'to_date',
            MESSAGE = format('to_date: a statement covers at most %s days, %s to %s is %s',
                             p_max_days, p_from, p_to, p_to - p_from + 1),
            HINT = 'Ask for the period in parts of at most that many days.';
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.check_period(date, date, integer) IS
    'Raises DX029 for a period that ends before it starts, or (with max_days) lacks a finite bound or is longer than max_days';
