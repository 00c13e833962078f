-- ledger_private.account_by_code(tenant, code) → the account row, or a row of NULLs when
-- the tenant has no account of that code. The one lookup behind account_or_error, which
-- find_account (reads, DX020) and find_posting_account (postings, DX006) call.

CREATE OR REPLACE FUNCTION ledger_private.account_by_code(p_tenant text, p_code text)
RETURNS ledger_private.account
LANGUAGE sql STABLE
AS $$
    SELECT a.* FROM ledger_private.account AS a WHERE a.tenant = p_tenant AND a.code = p_code
$$;

COMMENT ON FUNCTION ledger_private.account_by_code(text, text) IS
    'The account with this code in the tenant, or a row of NULLs';
