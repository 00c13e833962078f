-- ledger_private.check_not_negative(account_id, leg_no): raises DX010 when an account is below
-- its floor (and DX054 above its maximum): since migration 0017 the non-negative policy is
-- one case of the account limits (allow_negative = false is min_balance = 0), checked by
-- ledger_private.check_account_limits, which every posting path calls directly. This name
-- stays for callers of the first version.
-- (First defined in migrations/0003_invariant_triggers.sql; this file is its only home since.)

CREATE OR REPLACE FUNCTION ledger_private.check_not_negative(p_account_id bigint, p_leg_no integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_private.check_account_limits(p_account_id, p_leg_no);
END
$$;

COMMENT ON FUNCTION ledger_private.check_not_negative(bigint, integer) IS
    'The account limits (check_account_limits) under their first name: DX010 below the floor, DX054 above the maximum';
