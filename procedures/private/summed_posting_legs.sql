-- ledger_private.summed_posting_legs(tenant, legs jsonb) → one row: what the writers of a
-- set of legs need to know about them, from one pass over posting_legs:
--   malformed    the leg_no of the first malformed leg (NULL: none; normalize_legs names it)
--   missing      the leg_no of the first leg whose account the tenant lacks (NULL: none)
--   account_ids  each leg's account, in leg order
--   constrained  the leg_nos on accounts with a limit (NULL: none, and no balance is read)
--   balanced     true when the legs are in one currency and net to zero (else the writer
--                looks closely: unbalanced_currencies)
-- The one resolution of a request's legs for ledger_private.post_journal_request and
-- ledger.create_hold. Amounts are summed as sent: the leg trigger stores them unchanged (it
-- refuses more decimals than the currency has and only pads the scale), so these nets are
-- the stored legs' nets. The aggregates take the legs in posting_legs' order (already
-- sorted: no sort runs), which costs far less than an ORDER BY in each aggregate.
-- SQL and STABLE, one SELECT: inlined into the caller's query (pgtap/12_posting_core.sql).
-- (Named to sort after signed_amount: post-apply creates private/ in name order, and a SQL
-- function's body is checked against the functions it calls.)

CREATE OR REPLACE FUNCTION ledger_private.summed_posting_legs(p_tenant text, p_legs jsonb)
RETURNS TABLE (malformed integer, missing integer, account_ids bigint[], constrained integer[],
               balanced boolean)
LANGUAGE sql STABLE
AS $$
    SELECT min(l.leg_no) FILTER (WHERE l.problem IS NOT NULL),
           min(l.leg_no) FILTER (WHERE l.account_id IS NULL),
           array_agg(l.account_id),
           array_agg(l.leg_no) FILTER (WHERE NOT l.allow_negative),
           -- One currency netting to zero; anything else is looked at closely by the caller.
           coalesce(min(l.ccy) = max(l.ccy)
                    AND sum(CASE WHEN l.problem IS NULL
                                 THEN ledger_private.signed_amount(l.side, l.amount::numeric) END) = 0,
                    false)
      FROM ledger_private.posting_legs(p_tenant, p_legs) AS l
$$;

COMMENT ON FUNCTION ledger_private.summed_posting_legs(text, jsonb) IS
    'One pass over a request''s legs: first malformed and missing leg, accounts, legs with limits, balanced';
