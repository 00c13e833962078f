-- ledger_private.is_tenant_name(tenant) → boolean: a tenant is 1 to api_limit('tenant_length')
-- letters, digits, dots, dashes or underscores, starting with a letter or digit. The one
-- definition behind check_tenant and posting_field_problem; SQL and IMMUTABLE so that it
-- is inlined where it is used.

CREATE OR REPLACE FUNCTION ledger_private.is_tenant_name(p_tenant text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(char_length(p_tenant) <= ledger_private.api_limit('tenant_length')
                    AND p_tenant ~ '^[A-Za-z0-9][A-Za-z0-9._-]*$', false)
$$;

COMMENT ON FUNCTION ledger_private.is_tenant_name(text) IS
    'True for a well-formed tenant name';
