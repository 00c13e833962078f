-- ledger_private.posting_fields_ok(tenant, key, memo, ref, metadata) → boolean: true when
-- check_posting_fields would accept the fields, false when it would raise. The posting path
-- tests this one inlined expression and calls check_posting_fields (which names the field
-- and raises) only when it is false. Keep the two in step.

CREATE OR REPLACE FUNCTION ledger_private.posting_fields_ok(
    p_tenant text, p_key text, p_memo text, p_ref text, p_metadata jsonb
) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT coalesce(p_tenant ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
                    AND char_length(p_key) BETWEEN 1 AND 255 AND p_key !~ '[[:cntrl:]]'
                    AND coalesce(char_length(p_memo) <= 1000, true)
                    AND coalesce(char_length(p_ref) <= 200, true)
                    AND coalesce(jsonb_typeof(p_metadata) = 'object', true)
                    AND coalesce(octet_length(p_metadata::text) <= 16384, true),
                    false)
$$;

COMMENT ON FUNCTION ledger_private.posting_fields_ok(text, text, text, text, jsonb) IS
    'True when check_posting_fields accepts the scalar fields of a posting request';
