-- ledger_private.find_account(tenant, code) → the account row, or DX020 naming the code.
-- The one lookup behind every read or change of an account by its code: account_or_error
-- with no request field. PL/pgSQL like account_or_error (see there why not SQL).

CREATE OR REPLACE FUNCTION ledger_private.find_account(p_tenant text, p_code text)
RETURNS ledger_private.account
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN ledger_private.account_or_error(p_tenant, p_code, NULL);
END
$$;

COMMENT ON FUNCTION ledger_private.find_account(text, text) IS
    'The account with this code in the tenant, or DX020';
