-- ledger_private.check_tenant(tenant): a tenant is a short identifier (is_tenant_name.sql).
-- Raises DX019.

CREATE OR REPLACE FUNCTION ledger_private.check_tenant(p_tenant text) RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF NOT ledger_private.is_tenant_name(p_tenant) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX019', COLUMN = 'tenant',
            MESSAGE = format('tenant: %s is not a valid tenant name', coalesce(quote_literal(p_tenant), 'NULL')),
            HINT = format('Up to %s letters, digits, dots, dashes or underscores, starting with a letter or digit.',
                          ledger_private.api_limit('tenant_length'));
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.check_tenant(text) IS 'Raises DX019 for a malformed tenant';
