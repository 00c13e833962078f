-- ledger_private.check_not_negative(account_id, leg_no): raises DX010 when an account that
-- may not go negative is below zero.
--
-- DX010 when an account with allow_negative = false is below zero on its normal side
-- (ledger_private.normal_balance, the definition the batch's fast path tests too), for
-- the leg (leg_no) that posted to it. That balance read is exact under concurrency because
-- it takes SSI predicate locks on the account's recent legs: two postings that both read
-- and both write them cannot both commit.
-- (First defined in migrations/0003_invariant_triggers.sql; this file is its only home since.)

CREATE OR REPLACE FUNCTION ledger_private.check_not_negative(p_account_id bigint, p_leg_no integer) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_account record;
    v_balance numeric;
BEGIN
    SELECT a.code, a.normal_side INTO v_account
      FROM ledger_private.account AS a WHERE a.account_id = p_account_id;
    SELECT ledger_private.normal_balance(v_account.normal_side, t.debits, t.credits)
      INTO v_balance
      FROM ledger_private.account_totals(p_account_id) AS t;
    IF v_balance < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX010', COLUMN = format('legs[%s].amount', p_leg_no - 1),
            MESSAGE = format('legs[%s].amount: insufficient funds on %s (balance would be %s)',
                             p_leg_no - 1, v_account.code, v_balance),
            DETAIL = format('account %s may not go below zero', v_account.code);
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.check_not_negative(bigint, integer) IS
    'Raises DX010 when an account with allow_negative = false is below zero on its normal side';
