-- ledger_private.posting_field_problem(tenant, key, memo, ref, metadata) → text: the first
-- scalar field of a posting request that breaks its rule ('tenant', 'idempotency_key',
-- 'memo', 'ref', 'metadata_type', 'metadata_size'), or NULL when all are fine. The one
-- definition of these rules: every posting path (single, both batch paths, reversal, FX)
-- tests `posting_field_problem(…) IS NULL`, and check_posting_fields raises from what it
-- returns. SQL and IMMUTABLE so that it is inlined into the caller's expression (and its
-- api_limit calls folded to constants): the common case pays one expression.

CREATE OR REPLACE FUNCTION ledger_private.posting_field_problem(
    p_tenant text, p_key text, p_memo text, p_ref text, p_metadata jsonb
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
               WHEN NOT ledger_private.is_tenant_name(p_tenant) THEN 'tenant'
               WHEN NOT coalesce(char_length(p_key)
                                     BETWEEN 1 AND ledger_private.api_limit('idempotency_key_length')
                                 AND p_key !~ '[[:cntrl:]]', false)
                   THEN 'idempotency_key'
               WHEN char_length(p_memo) > ledger_private.api_limit('memo_length') THEN 'memo'
               WHEN char_length(p_ref) > ledger_private.api_limit('ref_length') THEN 'ref'
               WHEN jsonb_typeof(p_metadata) <> 'object' THEN 'metadata_type'
               WHEN octet_length(p_metadata::text) > ledger_private.api_limit('metadata_bytes')
                   THEN 'metadata_size'
           END
$$;

COMMENT ON FUNCTION ledger_private.posting_field_problem(text, text, text, text, jsonb) IS
    'The first scalar field of a posting request that breaks its rule, or NULL';
