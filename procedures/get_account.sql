-- ledger.get_account: one account by code.
--
--   SELECT * FROM ledger.get_account('1001-CASH');
--
-- Raises DX019 (malformed tenant, checked before the lookup), DX020 when there is no such
-- account in the tenant.
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.get_account(
    code text,
    tenant text DEFAULT NULL
) RETURNS ledger.account_info
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- PL/pgSQL, not SQL: a SECURITY DEFINER SQL function is never inlined and is planned
    -- on every call (a third fewer reads per second, measured); this plan is cached.
    RETURN ledger_private.to_account_info(ledger_private.find_account(
        (ledger_private.authorize('read', get_account.tenant)).tenant, get_account.code));
END
$$;

COMMENT ON FUNCTION ledger.get_account(text, text) IS 'One account by code';
GRANT EXECUTE ON FUNCTION ledger.get_account(text, text) TO doublex_api;
