-- ledger_private.pending_totals(account_id) → (debits, credits): the legs of the account's
-- pending holds: its open hold legs (ledger_private.open_hold_leg: holds without a
-- resolution) that have not expired (hold_is_live). The cost follows the account's open
-- holds, not every hold it ever had (migrations/0019_open_holds_and_pending_at_close.sql).
-- Inside a SERIALIZABLE hold or posting this read takes predicate locks on the account's
-- open hold legs, so two holds that both read and both add to them cannot both commit: the
-- limits stay exact under concurrency, as the non-negative rule does (sql/README.md).
-- enable_seqscan off: open_hold_leg is small, so the planner would read it whole, and under
-- SERIALIZABLE that is a predicate lock on the whole relation, which every hold on any
-- account writes into; through open_hold_leg_by_account it locks this account's entries.
-- PL/pgSQL: a function with a SET clause is not inlined, and PL/pgSQL keeps its plan for
-- the session where a SQL function would be planned again on every call (it is called for
-- accounts with a limit only).

CREATE OR REPLACE FUNCTION ledger_private.pending_totals(p_account_id bigint)
RETURNS TABLE (debits numeric, credits numeric)
LANGUAGE plpgsql STABLE
SET enable_seqscan = off
AS $$
BEGIN
    RETURN QUERY
        SELECT coalesce(sum(o.amount) FILTER (WHERE o.side = 'debit'), 0),
               coalesce(sum(o.amount) FILTER (WHERE o.side = 'credit'), 0)
          FROM ledger_private.open_hold_leg AS o
         WHERE o.account_id = p_account_id
           AND ledger_private.hold_is_live(o.expires_at);
END
$$;

COMMENT ON FUNCTION ledger_private.pending_totals(bigint) IS
    'Debit and credit totals of an account''s pending hold legs (open, not expired)';
