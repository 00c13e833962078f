-- ledger_private.account_limits_json(account) → jsonb: an account's limits as its events
-- carry them: allow_negative, and min_balance, max_balance, max_leg_amount as strings (null:
-- none).

CREATE OR REPLACE FUNCTION ledger_private.account_limits_json(p ledger_private.account)
RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT jsonb_build_object('allow_negative', p.allow_negative,
                              'min_balance', p.min_balance::text,
                              'max_balance', p.max_balance::text,
                              'max_leg_amount', p.max_leg_amount::text)
$$;

COMMENT ON FUNCTION ledger_private.account_limits_json(ledger_private.account) IS
    'An account''s limits as events carry them (amounts as strings)';
