-- ledger_private.account_totals(account_id) → (debits, credits): every leg of the account,
-- read as its checkpoint (legs below the tenant's watermark, folded by roll_up_balances)
-- plus the legs above the watermark. An account with no checkpoint row had no legs below
-- the watermark: every roll-up creates the rows it needs.
-- Inside a SERIALIZABLE posting this read takes predicate locks on the account's recent
-- legs, which is what makes the non-negative rule exact under concurrency.

CREATE OR REPLACE FUNCTION ledger_private.account_totals(p_account_id bigint)
RETURNS TABLE (debits numeric, credits numeric)
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(c.debits, 0) + coalesce(t.debits, 0),
           coalesce(c.credits, 0) + coalesce(t.credits, 0)
      FROM ledger_private.account AS a
      LEFT JOIN ledger_private.balance_checkpoint AS c ON c.account_id = a.account_id
      LEFT JOIN ledger_private.balance_watermark AS w ON w.tenant = a.tenant
     CROSS JOIN LATERAL (
            SELECT sum(l.amount) FILTER (WHERE l.side = 'debit') AS debits,
                   sum(l.amount) FILTER (WHERE l.side = 'credit') AS credits
              FROM ledger_private.leg AS l
             WHERE l.account_id = a.account_id
               AND l.txid >= coalesce(w.below_txid, 0)
           ) AS t
     WHERE a.account_id = p_account_id
$$;

COMMENT ON FUNCTION ledger_private.account_totals(bigint) IS
    'Debit and credit totals of an account: checkpoint plus the legs above the watermark';
