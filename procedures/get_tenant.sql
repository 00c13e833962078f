-- ledger.get_tenant: the caller's tenant (capability read or audit).
--
--   SELECT * FROM ledger.get_tenant();
--   → name, created_at, created_by, accounts, active_keys
--
-- Raises DX019, DX040–DX043 (ledger_private.authorize).

CREATE OR REPLACE FUNCTION ledger.get_tenant(
    tenant text DEFAULT NULL
) RETURNS ledger.tenant_info
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN ledger_private.to_tenant_info((ledger_private.authorize('read', get_tenant.tenant)).tenant);
END
$$;

COMMENT ON FUNCTION ledger.get_tenant(text) IS 'The caller''s tenant, its accounts and active keys';
GRANT EXECUTE ON FUNCTION ledger.get_tenant(text) TO doublex_api;
