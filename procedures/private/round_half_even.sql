-- ledger_private.round_half_even(dividend, divisor, exponent) → dividend / divisor rounded
-- half-even ("banker's rounding") to `exponent` decimals, exactly. PostgreSQL's round()
-- rounds halves away from zero, and a quotient such as 1/3 has no exact numeric value to
-- round, so this works on integers: n = trunc(|a|·10^e / |b|) (div() is exact), the
-- remainder r = |a|·10^e − n·|b|; 2r > |b| rounds up, 2r = |b| (an exact half) rounds to
-- the even n. The result carries exactly `exponent` decimals. For a product, pass divisor 1:
--
--   SELECT ledger_private.round_half_even(0.125, 1, 2);   -- 0.12 (half → even)
--   SELECT ledger_private.round_half_even(0.135, 1, 2);   -- 0.14
--   SELECT ledger_private.round_half_even(1, 3, 12);      -- 0.333333333333

CREATE OR REPLACE FUNCTION ledger_private.round_half_even(
    p_dividend numeric, p_divisor numeric, p_exponent integer
) RETURNS numeric
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
    v_scale numeric := power(10::numeric, p_exponent);
    v_scaled numeric := abs(p_dividend) * v_scale;
    v_divisor numeric := abs(p_divisor);
    v_whole numeric := div(v_scaled, v_divisor);
    v_twice_remainder numeric := 2 * (v_scaled - v_whole * v_divisor);
BEGIN
    IF v_twice_remainder > v_divisor OR (v_twice_remainder = v_divisor AND mod(v_whole, 2) = 1) THEN
        v_whole := v_whole + 1;
    END IF;
    RETURN round(sign(p_dividend) * sign(p_divisor) * v_whole / v_scale, p_exponent);
END
$$;

COMMENT ON FUNCTION ledger_private.round_half_even(numeric, numeric, integer) IS
    'dividend / divisor rounded half-even to exponent decimals, exactly';
