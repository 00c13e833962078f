-- ledger_private.event_leg(leg_no, account_id, side, amount, ccy) → jsonb: one leg as events
-- carry it (journal.posted, journal.reversed, hold.created): the account's code, the amount
-- as a string.

CREATE OR REPLACE FUNCTION ledger_private.event_leg(
    p_leg_no smallint, p_account_id bigint, p_side text, p_amount numeric, p_ccy text
) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        'leg_no', p_leg_no,
        'account', (SELECT a.code FROM ledger_private.account AS a WHERE a.account_id = p_account_id),
        'side', p_side, 'amount', p_amount::text, 'ccy', p_ccy)
$$;

COMMENT ON FUNCTION ledger_private.event_leg(smallint, bigint, text, numeric, text) IS
    'A leg as events carry it (account code, amount as a string)';
