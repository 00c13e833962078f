-- ledger_private.date_format_pattern(format) → the regular expression that reads dates in
-- that format and which capture group holds the year, the month and the day.
-- A format is YYYY, MM and DD, once each, with any separators: YYYY-MM-DD (the default),
-- DD.MM.YYYY, MM/DD/YYYY, YYYYMMDD. Raises DX039 for anything else.

CREATE OR REPLACE FUNCTION ledger_private.date_format_pattern(
    p_format text, OUT regex text, OUT year_group integer, OUT month_group integer,
    OUT day_group integer
)
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_format text := coalesce(p_format, 'YYYY-MM-DD');
    v_year integer := strpos(v_format, 'YYYY');
    v_month integer := strpos(v_format, 'MM');
    v_day integer := strpos(v_format, 'DD');
BEGIN
    IF v_year = 0 OR v_month = 0 OR v_day = 0
       OR char_length(v_format) > 40
       OR (char_length(v_format) - char_length(replace(v_format, 'YYYY', ''))) <> 4
       OR (char_length(v_format) - char_length(replace(v_format, 'MM', ''))) <> 2
       OR (char_length(v_format) - char_length(replace(v_format, 'DD', ''))) <> 2
       OR replace(replace(replace(v_format, 'YYYY', ''), 'MM', ''), 'DD', '') ~ '[A-Za-z0-9]' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX039', COLUMN = 'date_format',
            MESSAGE = format('date_format: %s is not a date format', quote_literal(v_format)),
            HINT = 'Use YYYY, MM and DD once each with separators, e.g. DD.MM.YYYY or MM/DD/YYYY.';
    END IF;
    -- Escape the separators, then turn each field into a capture group.
    regex := '^' || replace(replace(replace(
                 regexp_replace(v_format, '([^A-Za-z0-9])', '\\\1', 'g'),
                 'YYYY', '([0-9]{4})'), 'MM', '([0-9]{2})'), 'DD', '([0-9]{2})') || '$';
    year_group := 1 + (v_month < v_year)::integer + (v_day < v_year)::integer;
    month_group := 1 + (v_year < v_month)::integer + (v_day < v_month)::integer;
    day_group := 1 + (v_year < v_day)::integer + (v_month < v_day)::integer;
END
$$;

COMMENT ON FUNCTION ledger_private.date_format_pattern(text) IS
    'The regex and capture groups that read dates written as YYYY/MM/DD in any order; DX039';
