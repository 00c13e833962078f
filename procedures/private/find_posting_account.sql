-- ledger_private.find_posting_account(tenant, code, field) → the account a posting request
-- names in `field`, or DX006 naming that field (a request that refers to a missing account
-- is unprocessable, 422; reads of a missing account are DX020, see find_account.sql):
-- account_or_error with the field. PL/pgSQL like account_or_error (see there why not SQL).

CREATE OR REPLACE FUNCTION ledger_private.find_posting_account(p_tenant text, p_code text, p_field text)
RETURNS ledger_private.account
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN ledger_private.account_or_error(p_tenant, p_code, coalesce(p_field, 'account'));
END
$$;

COMMENT ON FUNCTION ledger_private.find_posting_account(text, text, text) IS
    'The account a posting request names in a field, or DX006 naming the field';
