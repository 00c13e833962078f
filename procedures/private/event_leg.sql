-- ledger_private.event_leg(leg_no, account, side, amount, ccy) → jsonb: one leg as events
-- carry it (journal.posted, journal.reversed, hold.created): the account's code, the amount
-- as a string. A plain expression, so it is inlined into the callers' queries, which join
-- the account for its code (a scalar subquery here would run once per leg).

CREATE OR REPLACE FUNCTION ledger_private.event_leg(
    p_leg_no smallint, p_account text, p_side text, p_amount numeric, p_ccy text
) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT jsonb_build_object('leg_no', p_leg_no, 'account', p_account, 'side', p_side,
                              'amount', p_amount::text, 'ccy', p_ccy)
$$;

COMMENT ON FUNCTION ledger_private.event_leg(smallint, text, text, numeric, text) IS
    'A leg as events carry it (account code, amount as a string)';
