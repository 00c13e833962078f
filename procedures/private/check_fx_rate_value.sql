-- ledger_private.check_fx_rate_value(rate, field): a rate is a positive number below
-- 10^api_limit('fx_rate_digits') with at most api_limit('fx_rate_decimals') decimals.
-- Raises DX030 naming `field`.

CREATE OR REPLACE FUNCTION ledger_private.check_fx_rate_value(p_rate numeric, p_field text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    -- NaN is equal to itself and greater than every number in PostgreSQL: test it first.
    IF p_rate IS NULL OR p_rate = 'NaN' OR p_rate <= 0
       OR p_rate >= power(10::numeric, ledger_private.api_limit('fx_rate_digits')) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX030', COLUMN = p_field,
            MESSAGE = format('%s: must be a positive number below 10^%s, got %s',
                             p_field, ledger_private.api_limit('fx_rate_digits'), coalesce(p_rate::text, 'NULL')),
            HINT = 'A rate says how many units of the quote currency one unit of the base buys.';
    END IF;
    IF scale(p_rate) > ledger_private.api_limit('fx_rate_decimals') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX030', COLUMN = p_field,
            MESSAGE = format('%s: %s has more than %s decimals', p_field, p_rate,
                             ledger_private.api_limit('fx_rate_decimals')),
            HINT = format('Rates are never rounded silently; send at most %s decimals.',
                          ledger_private.api_limit('fx_rate_decimals'));
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.check_fx_rate_value(numeric, text) IS
    'Raises DX030 unless the rate is positive, below 10^api_limit(''fx_rate_digits''), with at most api_limit(''fx_rate_decimals'') decimals';
