-- ledger_private.check_legs_limits(account_ids, leg_nos): the limits of the accounts of the
-- given legs (summed_posting_legs's `constrained`, leg numbers into `account_ids`), each
-- by check_account_limits (DX010, DX054) for the leg that moved it, in leg order. Called
-- by check_balances_after, for the writers that check what they write (post_journal_request,
-- ledger.create_hold, ledger.capture_hold), only when some leg is on an account with a
-- limit, so a request without one pays nothing.

CREATE OR REPLACE FUNCTION ledger_private.check_legs_limits(p_account_ids bigint[], p_leg_nos integer[])
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_leg_no integer;
BEGIN
    FOREACH v_leg_no IN ARRAY p_leg_nos LOOP
        PERFORM ledger_private.check_account_limits(p_account_ids[v_leg_no], v_leg_no);
    END LOOP;
END
$$;

COMMENT ON FUNCTION ledger_private.check_legs_limits(bigint[], integer[]) IS
    'Checks the limits of the accounts of the given legs (DX010, DX054), in leg order';
