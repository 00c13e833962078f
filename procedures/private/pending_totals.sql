-- ledger_private.pending_totals(account_id) → (debits, credits): the legs of the account's
-- pending holds: holds without a resolution that have not expired (hold_is_live).
-- Inside a SERIALIZABLE hold or posting this read takes predicate locks on the account's
-- hold legs, so two holds that both read and both add to them cannot both commit: the
-- limits stay exact under concurrency, as the non-negative rule does (sql/README.md).

CREATE OR REPLACE FUNCTION ledger_private.pending_totals(p_account_id bigint)
RETURNS TABLE (debits numeric, credits numeric)
LANGUAGE sql STABLE
AS $$
    SELECT coalesce(sum(hl.amount) FILTER (WHERE hl.side = 'debit'), 0),
           coalesce(sum(hl.amount) FILTER (WHERE hl.side = 'credit'), 0)
      FROM ledger_private.hold_leg AS hl
      JOIN ledger_private.hold AS h ON h.hold_id = hl.hold_id
     WHERE hl.account_id = p_account_id
       AND ledger_private.hold_is_live(h.expires_at)
       AND NOT EXISTS (SELECT FROM ledger_private.hold_resolution AS r WHERE r.hold_id = hl.hold_id)
$$;

COMMENT ON FUNCTION ledger_private.pending_totals(bigint) IS
    'Debit and credit totals of an account''s pending hold legs (unresolved, not expired)';
