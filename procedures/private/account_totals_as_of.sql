-- ledger_private.account_totals_as_of(account_id, ccy, as_of) → (debits, credits): an
-- account's totals at its currency's scale, over every leg (as_of NULL: account_totals,
-- the checkpoint plus the recent legs) or over the legs effective on or before as_of (one
-- range of the leg_account_history index). The trial balance's one read of an account.

CREATE OR REPLACE FUNCTION ledger_private.account_totals_as_of(p_account_id bigint, p_ccy text, p_as_of date)
RETURNS TABLE (debits numeric, credits numeric)
LANGUAGE sql STABLE
AS $$
    SELECT round(s.debits, c.exponent), round(s.credits, c.exponent)
      FROM (SELECT t.debits, t.credits FROM ledger_private.account_totals(p_account_id) AS t
             WHERE p_as_of IS NULL
            UNION ALL
            SELECT coalesce(sum(l.amount) FILTER (WHERE l.side = 'debit'), 0),
                   coalesce(sum(l.amount) FILTER (WHERE l.side = 'credit'), 0)
              FROM ledger_private.leg AS l
             WHERE l.account_id = p_account_id AND l.effective_date <= p_as_of
            HAVING p_as_of IS NOT NULL
           ) AS s
     CROSS JOIN ledger_private.currency AS c
     WHERE c.code = p_ccy
$$;

COMMENT ON FUNCTION ledger_private.account_totals_as_of(bigint, text, date) IS
    'An account''s debit and credit totals at its currency''s scale, over every leg or up to a date';
