-- ledger_private.date_format_pattern(format) → the regular expression that dates written in
-- that format match, and where in such a date the year, the month and the day start.
-- A format is YYYY, MM and DD, once each, with any separators: YYYY-MM-DD (the default),
-- DD.MM.YYYY, MM/DD/YYYY, YYYYMMDD, at most api_limit('date_format_length') characters.
-- Raises DX039 for anything else.

CREATE OR REPLACE FUNCTION ledger_private.date_format_pattern(
    p_format text, OUT regex text, OUT year_at integer, OUT month_at integer,
    OUT day_at integer
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
       OR char_length(v_format) > ledger_private.api_limit('date_format_length')
       OR (char_length(v_format) - char_length(replace(v_format, 'YYYY', ''))) <> 4
       OR (char_length(v_format) - char_length(replace(v_format, 'MM', ''))) <> 2
       OR (char_length(v_format) - char_length(replace(v_format, 'DD', ''))) <> 2
       OR replace(replace(replace(v_format, 'YYYY', ''), 'MM', ''), 'DD', '') ~ '[A-Za-z0-9]' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX039', COLUMN = 'date_format',
            MESSAGE = format('date_format: %s is not a date format', quote_literal(v_format)),
            HINT = 'Use YYYY, MM and DD once each with separators, e.g. DD.MM.YYYY or MM/DD/YYYY.';
    END IF;
    -- Escape the separators, then let each field match its digits. No capture groups: the
    -- fields have fixed widths, so they sit where the format has them (substr is far
    -- cheaper than regexp_match with groups, which matters over 100,000 lines).
    regex := '^' || replace(replace(replace(
                 regexp_replace(v_format, '([^A-Za-z0-9])', '\\\1', 'g'),
                 'YYYY', '[0-9]{4}'), 'MM', '[0-9]{2}'), 'DD', '[0-9]{2}') || '$';
    year_at := v_year;
    month_at := v_month;
    day_at := v_day;
END
$$;

COMMENT ON FUNCTION ledger_private.date_format_pattern(text) IS
    'The regex dates in a YYYY/MM/DD format match, and where each field starts; DX039';
