-- ledger_private.position_of_account(account_id) → the balances limits apply to, on the
-- account's normal side:
--   posted     every posted leg (account_totals: checkpoint plus tail)
--   pending_debits, pending_credits   the legs of its pending holds (pending_totals)
--   available  posted minus the pending legs that would reduce it (available_of: credits
--              on a debit-normal account, debits on a credit-normal one); pending legs that
--              increase it do not count until captured
--   ceiling_used  posted plus the pending legs that would increase it: what max_balance
--              bounds, so that capturing every pending hold cannot pass the maximum
--   floor, ceiling  account_floor(allow_negative, min_balance) and max_balance
-- Used by the limit checks (check_account_limits, the batch's fast path) and
-- ledger.get_available_balance.

CREATE OR REPLACE FUNCTION ledger_private.position_of_account(p_account_id bigint)
RETURNS TABLE (code text, ccy text, posted numeric, pending_debits numeric,
               pending_credits numeric, available numeric, ceiling_used numeric,
               floor numeric, ceiling numeric)
LANGUAGE sql STABLE
AS $$
    SELECT a.code, a.ccy, b.posted, p.debits, p.credits,
           ledger_private.available_of(a.normal_side, b.posted, p.debits, p.credits),
           b.posted + CASE WHEN a.normal_side = 'debit' THEN p.debits ELSE p.credits END,
           ledger_private.account_floor(a.allow_negative, a.min_balance), a.max_balance
      FROM ledger_private.account AS a
     CROSS JOIN LATERAL (
            SELECT ledger_private.normal_balance(a.normal_side, t.debits, t.credits) AS posted
              FROM ledger_private.account_totals(a.account_id) AS t) AS b
     CROSS JOIN LATERAL ledger_private.pending_totals(a.account_id) AS p
     WHERE a.account_id = p_account_id
$$;

COMMENT ON FUNCTION ledger_private.position_of_account(bigint) IS
    'Posted, pending and available balance of an account with its floor and ceiling';
