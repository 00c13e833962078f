-- ledger_private.available_of(normal_side, posted, pending_debits, pending_credits) → numeric:
-- the available balance: posted minus the pending legs that would reduce it (credits on a
-- debit-normal account, debits on a credit-normal one); pending legs that would increase
-- it do not count until captured. The one home of that rule: position_of_account (the
-- limits) and ledger.get_balance use it. SQL and IMMUTABLE so that it is inlined.

CREATE OR REPLACE FUNCTION ledger_private.available_of(
    p_normal_side text, p_posted numeric, p_pending_debits numeric, p_pending_credits numeric
) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT p_posted - CASE WHEN p_normal_side = 'debit' THEN p_pending_credits ELSE p_pending_debits END
$$;

COMMENT ON FUNCTION ledger_private.available_of(text, numeric, numeric, numeric) IS
    'Posted balance minus the pending legs that would reduce it on the account''s normal side';
