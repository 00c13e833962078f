-- ledger.create_tenant: a new tenant, which then owns its accounts, journals, settings,
-- rates, statements and keys. Owner only (granted to nobody: the migrating user or a member
-- of doublex_owner, e.g. the CLI's admin DSN).
--
--   SELECT * FROM ledger.create_tenant('acme');
--   → name, created_at, created_by, accounts, active_keys
--
-- Creating a tenant that exists changes nothing and answers its row (so a setup script may
-- run twice). The creation is in the new tenant's audit log. Raises DX016 (below
-- SERIALIZABLE), DX019 (malformed name).

CREATE OR REPLACE FUNCTION ledger.create_tenant(
    tenant text
) RETURNS ledger.tenant_info
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ROW(create_tenant.tenant, ledger_private.admin_actor());
BEGIN
    PERFORM ledger_private.check_tenant(create_tenant.tenant);
    PERFORM ledger_private.require_serializable();
    INSERT INTO ledger_private.tenant AS t (tenant, created_by)
    VALUES (create_tenant.tenant, v_who.actor)
    ON CONFLICT ON CONSTRAINT tenant_pkey DO NOTHING;
    IF FOUND THEN
        PERFORM ledger_private.append_audit(v_who, 'create_tenant', create_tenant.tenant);
    END IF;
    RETURN ledger_private.to_tenant_info(create_tenant.tenant);
END
$$;

COMMENT ON FUNCTION ledger.create_tenant(text) IS
    'Creates a tenant (owner only); an existing one is answered unchanged';
