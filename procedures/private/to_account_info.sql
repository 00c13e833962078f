-- ledger_private.to_account_info(account): the API's view of an account row.

CREATE OR REPLACE FUNCTION ledger_private.to_account_info(p_account ledger_private.account)
RETURNS ledger.account_info
LANGUAGE sql IMMUTABLE
AS $$
    SELECT ROW(p_account.account_id, p_account.code, p_account.name, p_account.ccy, p_account.type,
               p_account.normal_side, p_account.status, p_account.allow_negative,
               p_account.metadata, p_account.created_at)::ledger.account_info
$$;

COMMENT ON FUNCTION ledger_private.to_account_info(ledger_private.account) IS
    'The API view of an account row';
