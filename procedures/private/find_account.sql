-- ledger_private.find_account(tenant, code) → the account row, or DX020 naming the code.
-- The one lookup behind every read or change of an account by its code.

CREATE OR REPLACE FUNCTION ledger_private.find_account(p_tenant text, p_code text)
RETURNS ledger_private.account
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_account ledger_private.account := ledger_private.account_by_code(p_tenant, p_code);
BEGIN
    IF v_account.account_id IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX020', COLUMN = 'account',
            MESSAGE = format('account: no account %s in tenant %s', coalesce(p_code, 'NULL'), p_tenant);
    END IF;
    RETURN v_account;
END
$$;

COMMENT ON FUNCTION ledger_private.find_account(text, text) IS
    'The account with this code in the tenant, or DX020';
