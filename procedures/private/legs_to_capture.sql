-- ledger_private.legs_to_capture(hold_id, amounts jsonb) → one row: the legs of the journal
-- that captures a hold (ledger.capture_hold), from its hold_leg rows by account id, in one
-- query, with what the capture needs to know about them:
--   bad_leg, problem  the first leg (1-based, of the hold) whose amount is not one a part
--                     may be (DX053: not a decimal string, or more than the leg holds), and
--                     why; NULL when every amount is fine
--   account_ids, sides, amounts, ccys   the journal's legs, in order: every leg of the hold
--                     as held when amounts is NULL; else each leg with the amount asked for,
--                     a leg asked "0" left out
--   constrained       the journal's leg numbers on accounts with a limit (NULL: none, and no
--                     balance is read), as summed_posting_legs gives them
--   vouched           true when every leg still passes the row checks of leg_before_insert
--                     that can have changed since create_hold checked the hold's legs: the
--                     account is active, its posting limit (max_leg_amount) admits the
--                     amount, and a part has no more decimals than the currency (amounts
--                     are then at the currency's scale; a hold's are stored at it). The account, its tenant and its
--                     currency are the hold leg's and never change.
--   legs              for a part only: the journal's legs as a request's legs array (side,
--                     ccy, amount as sent) for unbalanced_currencies; NULL for a whole hold,
--                     which balances as create_hold checked.
-- Each account is one index lookup (OFFSET 0 keeps it a nested lookup, as in posting_legs:
-- a hash join would scan the whole account table, and under SERIALIZABLE that read would
-- lock all of it). The aggregates take the legs in the window's order (leg_no), as
-- summed_posting_legs does.
-- SQL and STABLE, one SELECT: inlined into the caller's query.

CREATE OR REPLACE FUNCTION ledger_private.legs_to_capture(p_hold_id uuid, p_amounts jsonb)
RETURNS TABLE (bad_leg integer, problem text, account_ids bigint[], sides text[],
               amounts numeric[], ccys text[], constrained integer[], vouched boolean,
               legs jsonb)
LANGUAGE sql STABLE
AS $$
    -- Every array in leg order (ORDER BY in each aggregate: the window's order is not a
    -- promise the aggregate above it keeps), so that `constrained` numbers the legs as the
    -- journal writes them.
    SELECT (min(x.leg_no) FILTER (WHERE x.problem IS NOT NULL))::integer,
           min(x.problem) FILTER (WHERE x.leg_no = x.first_bad),
           array_agg(x.account_id ORDER BY x.leg_no) FILTER (WHERE x.posted),
           array_agg(x.side ORDER BY x.leg_no) FILTER (WHERE x.posted),
           array_agg(CASE WHEN x.checked AND p_amounts IS NOT NULL THEN round(x.amount, x.exponent)
                          ELSE x.amount END ORDER BY x.leg_no)
               FILTER (WHERE x.posted),
           array_agg(x.ccy ORDER BY x.leg_no) FILTER (WHERE x.posted),
           array_agg(x.journal_leg_no::integer ORDER BY x.leg_no) FILTER (WHERE x.posted AND NOT x.unlimited),
           coalesce(bool_and(x.checked) FILTER (WHERE x.posted), false),
           jsonb_agg(jsonb_build_object('side', x.side, 'ccy', x.ccy, 'amount', x.sent #>> '{}')
                     ORDER BY x.leg_no)
               FILTER (WHERE x.posted AND p_amounts IS NOT NULL)
      FROM (SELECT y.*, min(y.leg_no) FILTER (WHERE y.problem IS NOT NULL) OVER () AS first_bad,
                   count(*) FILTER (WHERE y.posted) OVER (ORDER BY y.leg_no) AS journal_leg_no
              FROM (SELECT hl.leg_no, hl.account_id, hl.side, hl.ccy, c.exponent, r.sent, v.amount,
                           p.shape IS NULL AS posted,
                           a.allow_negative AND a.min_balance IS NULL AND a.max_balance IS NULL
                               AS unlimited,
                           CASE WHEN p.shape = 'amount_zero' THEN NULL
                                WHEN p.shape IS NOT NULL
                                    THEN 'must be a decimal string such as "12.50"'
                                WHEN v.amount > hl.amount
                                    THEN format('%s exceeds the %s held', r.sent #>> '{}', hl.amount)
                           END AS problem,
                           coalesce(a.status = 'active' AND a.ccy = hl.ccy
                                    AND (p_amounts IS NULL OR scale(v.amount) <= c.exponent)
                                    AND NOT v.amount > coalesce(a.max_leg_amount, v.amount),
                                    false) AS checked
                      FROM ledger_private.hold_leg AS hl
                     CROSS JOIN LATERAL (
                           SELECT a.code, a.ccy, a.status, a.allow_negative, a.min_balance,
                                  a.max_balance, a.max_leg_amount
                             FROM ledger_private.account AS a
                            WHERE a.account_id = hl.account_id
                           OFFSET 0) AS a
                     CROSS JOIN LATERAL (
                           SELECT CASE WHEN p_amounts IS NOT NULL
                                       THEN (SELECT c.exponent FROM ledger_private.currency AS c
                                              WHERE c.code = hl.ccy)
                                  END AS exponent
                           OFFSET 0) AS c
                     CROSS JOIN LATERAL (SELECT p_amounts -> (hl.leg_no - 1) AS sent) AS r
                     CROSS JOIN LATERAL (
                           SELECT CASE WHEN p_amounts IS NOT NULL THEN ledger_private.leg_problem(
                                      jsonb_build_object('account', a.code, 'side', hl.side,
                                                         'ccy', hl.ccy, 'amount', r.sent))
                                  END AS shape
                           OFFSET 0) AS p
                     CROSS JOIN LATERAL (
                           SELECT CASE WHEN p_amounts IS NULL THEN hl.amount
                                       WHEN p.shape IS NULL THEN (r.sent #>> '{}')::numeric
                                  END AS amount) AS v
                     WHERE hl.hold_id = p_hold_id) AS y) AS x
$$;

COMMENT ON FUNCTION ledger_private.legs_to_capture(uuid, jsonb) IS
    'The legs of a hold''s capture journal by account id (whole or per-leg amounts): DX053 problem, limits, still-vouched row checks';
