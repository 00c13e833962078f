-- ledger_private.find_posting_account(tenant, code, field) → the account a posting request
-- names in `field`, or DX006 naming that field (a request that refers to a missing account
-- is unprocessable, 422; reads of a missing account are DX020, see find_account.sql).

CREATE OR REPLACE FUNCTION ledger_private.find_posting_account(p_tenant text, p_code text, p_field text)
RETURNS ledger_private.account
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_account ledger_private.account := ledger_private.account_by_code(p_tenant, p_code);
BEGIN
    IF v_account.account_id IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX006', COLUMN = p_field,
            MESSAGE = format('%s: no account %s in tenant %s', p_field, coalesce(p_code, 'NULL'), p_tenant),
            HINT = 'Create it first with ledger.create_account().';
    END IF;
    RETURN v_account;
END
$$;

COMMENT ON FUNCTION ledger_private.find_posting_account(text, text, text) IS
    'The account a posting request names in a field, or DX006 naming the field';
