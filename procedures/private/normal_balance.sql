-- ledger_private.normal_balance(normal_side, debits, credits) → numeric: an account's
-- balance on its normal side. The non-negative policy (allow_negative = false) forbids
-- this below zero; the batch's fast path tests it with this definition. SQL and IMMUTABLE
-- so that it is inlined.

CREATE OR REPLACE FUNCTION ledger_private.normal_balance(
    p_normal_side text, p_debits numeric, p_credits numeric
) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN p_normal_side = 'debit' THEN p_debits - p_credits ELSE p_credits - p_debits END
$$;

COMMENT ON FUNCTION ledger_private.normal_balance(text, numeric, numeric) IS
    'An account''s balance on its normal side';
