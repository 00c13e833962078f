-- ledger_private.check_account_limits(account_id, leg_no): raises when an account is outside
-- its limits (ledger_private.position_of_account):
--   DX010 when its available balance is below its floor (min_balance, or 0 for an account
--         with allow_negative = false): the message names the account and the shortfall;
--   DX054 when its posted balance plus the pending legs that increase it is above
--         max_balance: the message names the account and the excess.
-- For the leg (leg_no) that posted or held on it. Called by the posting path for the
-- accounts with a limit (posting_legs' `unlimited` is false), by the commit triggers of legs
-- and hold legs written directly, and by ledger.create_hold. The reads are exact under
-- concurrency because they take SSI predicate locks on the account's recent legs and hold
-- legs: two writers that both read and both write them cannot both commit.
-- (This replaces check_not_negative, first defined in migrations/0003_invariant_triggers.sql.)

CREATE OR REPLACE FUNCTION ledger_private.check_account_limits(p_account_id bigint, p_leg_no integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_position record;
BEGIN
    SELECT * INTO v_position FROM ledger_private.position_of_account(p_account_id);
    IF v_position.available < v_position.floor THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX010', COLUMN = format('legs[%s].amount', p_leg_no - 1),
            MESSAGE = format('legs[%s].amount: insufficient funds on %s (balance would be %s)',
                             p_leg_no - 1, v_position.code, v_position.available),
            DETAIL = format('account %s may not go below %s: short by %s %s (available = posted %s minus pending %s)',
                            v_position.code, v_position.floor, v_position.floor - v_position.available,
                            v_position.ccy, v_position.posted, v_position.posted - v_position.available);
    END IF;
    IF v_position.ceiling_used > v_position.ceiling THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX054', COLUMN = format('legs[%s].amount', p_leg_no - 1),
            MESSAGE = format('legs[%s].amount: %s would exceed its maximum balance %s by %s %s',
                             p_leg_no - 1, v_position.code, v_position.ceiling,
                             v_position.ceiling_used - v_position.ceiling, v_position.ccy),
            DETAIL = format('posted %s plus pending increases %s', v_position.posted,
                            v_position.ceiling_used - v_position.posted);
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.check_account_limits(bigint, integer) IS
    'Raises DX010 below an account''s floor (available balance) and DX054 above its max_balance';
