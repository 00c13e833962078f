-- ledger_private.check_tenant(tenant): a tenant is a short identifier. Raises DX019.

CREATE OR REPLACE FUNCTION ledger_private.check_tenant(p_tenant text) RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF p_tenant IS NULL OR p_tenant !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX019', COLUMN = 'tenant',
            MESSAGE = format('tenant: %s is not a valid tenant name', coalesce(quote_literal(p_tenant), 'NULL')),
            HINT = 'Up to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit.';
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.check_tenant(text) IS 'Raises DX019 for a malformed tenant';
