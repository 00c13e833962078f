-- ledger_private.check_balances_after(tenant, account_ids, constrained, conditions): the
-- checks a writer runs on the balances right after its request's rows are written, in the
-- order every writer reports them: the limits of the accounts of the legs on accounts with
-- limits (check_legs_limits: DX010, DX054, in leg order), then the request's balance
-- conditions (check_conditions: DX006, DX057). One definition for post_journal_request,
-- ledger.create_hold and ledger.capture_hold, which call it only when `constrained` or
-- `conditions` is not NULL, so a request without either pays no call.

CREATE OR REPLACE FUNCTION ledger_private.check_balances_after(p_tenant text,
    p_account_ids bigint[], p_constrained integer[], p_conditions jsonb)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF p_constrained IS NOT NULL THEN
        PERFORM ledger_private.check_legs_limits(p_account_ids, p_constrained);
    END IF;
    IF p_conditions IS NOT NULL THEN
        PERFORM ledger_private.check_conditions(p_tenant, p_conditions);
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.check_balances_after(text, bigint[], integer[], jsonb) IS
    'The limits (DX010, DX054) and balance conditions (DX006, DX057) on the balances right after a request''s writes';
