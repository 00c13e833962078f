-- ledger_private.account_or_error(tenant, code, field) → the account with this code in the
-- tenant, or the error of a missing one, which depends on who asks:
--   field NULL   a read or change of the account by its code: DX020 on column account
--                (ledger_private.find_account)
--   field given  a posting request naming it in that field: DX006 naming the field, since a
--                request that refers to a missing account is unprocessable, 422
--                (ledger_private.find_posting_account)
-- The message is '<column>: no account <code> in tenant <tenant>' either way.
--
-- PL/pgSQL with the lookup written here, not a SQL helper: a SQL function returning a row
-- is not inlined, and is planned again on every call (halving get_balance's throughput,
-- measured), whereas this statement's plan is cached for the session.

CREATE OR REPLACE FUNCTION ledger_private.account_or_error(p_tenant text, p_code text, p_field text)
RETURNS ledger_private.account
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_account ledger_private.account;
BEGIN
    SELECT a.* INTO v_account
      FROM ledger_private.account AS a
     WHERE a.tenant = p_tenant AND a.code = p_code;
    IF FOUND THEN
        RETURN v_account;
    ELSIF p_field IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX020', COLUMN = 'account',
            MESSAGE = format('account: no account %s in tenant %s', coalesce(p_code, 'NULL'), p_tenant);
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'DX006', COLUMN = p_field,
        MESSAGE = format('%s: no account %s in tenant %s', p_field, coalesce(p_code, 'NULL'), p_tenant),
        HINT = 'Create it first with ledger.create_account().';
END
$$;

COMMENT ON FUNCTION ledger_private.account_or_error(text, text, text) IS
    'The account with this code in the tenant, or DX020 (a read, no field) or DX006 naming the request''s field';
