-- ledger_private.account_floor(allow_negative, min_balance) → numeric: the lowest balance an
-- account may keep on its normal side: min_balance when set, else 0 for an account with
-- allow_negative = false (allow_negative = false means min_balance = 0), else NULL (none).
-- SQL and IMMUTABLE so that it is inlined.

CREATE OR REPLACE FUNCTION ledger_private.account_floor(p_allow_negative boolean, p_min_balance numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN p_min_balance IS NOT NULL THEN p_min_balance
                WHEN NOT p_allow_negative THEN 0 END
$$;

COMMENT ON FUNCTION ledger_private.account_floor(boolean, numeric) IS
    'The minimum balance an account keeps: min_balance, else 0 when allow_negative = false, else none';
