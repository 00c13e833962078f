-- ledger_private.to_available_balance(account_id) → ledger.available_balance: the account's
-- position (position_of_account) as the API answers it, rounded to its currency's decimals,
-- with its limits (min_balance is the floor in force: 0 for allow_negative = false).

CREATE OR REPLACE FUNCTION ledger_private.to_available_balance(p_account_id bigint)
RETURNS ledger.available_balance
LANGUAGE sql STABLE
AS $$
    SELECT ROW(p.code, p.ccy, round(p.posted, c.exponent), round(p.pending_debits, c.exponent),
               round(p.pending_credits, c.exponent), round(p.available, c.exponent), p.floor,
               p.ceiling)::ledger.available_balance
      FROM ledger_private.position_of_account(p_account_id) AS p
      JOIN ledger_private.currency AS c ON c.code = p.ccy
$$;

COMMENT ON FUNCTION ledger_private.to_available_balance(bigint) IS
    'Posted, pending and available balance of an account with its limits, as the API answers it';
