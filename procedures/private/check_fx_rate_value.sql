-- ledger_private.check_fx_rate_value(rate, field): a rate is a positive number below 10^12
-- with at most 12 decimals. Raises DX030 naming `field`.

CREATE OR REPLACE FUNCTION ledger_private.check_fx_rate_value(p_rate numeric, p_field text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    -- NaN is equal to itself and greater than every number in PostgreSQL: test it first.
    IF p_rate IS NULL OR p_rate = 'NaN' OR p_rate <= 0 OR p_rate >= 1e12 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX030', COLUMN = p_field,
            MESSAGE = format('%s: must be a positive number below 10^12, got %s',
                             p_field, coalesce(p_rate::text, 'NULL')),
            HINT = 'A rate says how many units of the quote currency one unit of the base buys.';
    END IF;
    IF scale(p_rate) > 12 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX030', COLUMN = p_field,
            MESSAGE = format('%s: %s has more than 12 decimals', p_field, p_rate),
            HINT = 'Rates are never rounded silently; send at most 12 decimals.';
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.check_fx_rate_value(numeric, text) IS
    'Raises DX030 unless the rate is positive, below 10^12, with at most 12 decimals';
