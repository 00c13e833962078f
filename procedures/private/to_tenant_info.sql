-- ledger_private.to_tenant_info(tenant) → ledger.tenant_info: a tenant's row as the API
-- answers it (name, created_at, created_by, accounts, active keys); NULL for an unknown
-- tenant. ledger.create_tenant, ledger.list_tenants and ledger.get_tenant answer with it.

CREATE OR REPLACE FUNCTION ledger_private.to_tenant_info(p_tenant text) RETURNS ledger.tenant_info
LANGUAGE sql STABLE
AS $$
    SELECT ROW(t.tenant, t.created_at, t.created_by,
               (SELECT count(*) FROM ledger_private.account AS a WHERE a.tenant = t.tenant),
               (SELECT count(*) FROM ledger_private.api_key AS k
                 WHERE k.tenant = t.tenant AND k.revoked_at IS NULL
                   AND (k.expires_at IS NULL OR k.expires_at > now())))::ledger.tenant_info
      FROM ledger_private.tenant AS t
     WHERE t.tenant = p_tenant
$$;

COMMENT ON FUNCTION ledger_private.to_tenant_info(text) IS
    'A tenant with its number of accounts and of active keys';
