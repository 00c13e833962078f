-- ledger.get_account: one account by code.
--
--   SELECT * FROM ledger.get_account('1001-CASH');
--
-- Raises DX019 (malformed tenant), DX020 when there is no such account in the tenant.

CREATE OR REPLACE FUNCTION ledger.get_account(
    code text,
    tenant text DEFAULT 'default'
) RETURNS ledger.account_info
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_account ledger_private.account;
BEGIN
    PERFORM ledger_private.check_tenant(get_account.tenant);
    SELECT a.* INTO v_account
      FROM ledger_private.account AS a
     WHERE a.tenant = get_account.tenant AND a.code = get_account.code;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX020', COLUMN = 'account',
            MESSAGE = format('account: no account %s in tenant %s',
                             coalesce(get_account.code, 'NULL'), get_account.tenant);
    END IF;
    RETURN ledger_private.to_account_info(v_account);
END
$$;

COMMENT ON FUNCTION ledger.get_account(text, text) IS 'One account by code';
GRANT EXECUTE ON FUNCTION ledger.get_account(text, text) TO doublex_app;
