-- ledger_private.check_tenant_exists(tenant): the tenant is a row of ledger_private.tenant
-- (ledger.create_tenant made it). Raises DX043. What an admin names (authorize,
-- authorize_housekeeping) and what a login is bound to (bind_sql_login) must exist.

CREATE OR REPLACE FUNCTION ledger_private.check_tenant_exists(p_tenant text) RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM ledger_private.tenant AS t WHERE t.tenant = p_tenant) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX043', COLUMN = 'tenant',
            MESSAGE = format('tenant: %s does not exist', p_tenant),
            HINT = 'Create it with ledger.create_tenant(tenant) (doublex tenant create).';
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.check_tenant_exists(text) IS 'Raises DX043 for a tenant that does not exist';
