-- ledger_private.check_business_date(date, field): a business date argument is a finite
-- date. Raises DX029 naming the field.

CREATE OR REPLACE FUNCTION ledger_private.check_business_date(p_date date, p_field text) RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF p_date IS NULL OR NOT isfinite(p_date) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX029', COLUMN = p_field,
            MESSAGE = format('%s: %s is not a business date', p_field, coalesce(p_date::text, 'NULL')),
            HINT = 'Use a finite date (YYYY-MM-DD).';
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.check_business_date(date, text) IS
    'Raises DX029 for a NULL or infinite business date';
