-- ledger_private.check_posting_fields(tenant, key, memo, ref, metadata): raises for the
-- field posting_field_problem names (the rules and limits are defined there and in
-- api_limit, not here). Raises DX012 (idempotency key) and DX019 (tenant, memo, ref,
-- metadata).

CREATE OR REPLACE FUNCTION ledger_private.check_posting_fields(
    p_tenant text, p_key text, p_memo text, p_ref text, p_metadata jsonb
) RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    CASE ledger_private.posting_field_problem(p_tenant, p_key, p_memo, p_ref, p_metadata)
        WHEN 'tenant' THEN
            PERFORM ledger_private.check_tenant(p_tenant);
        WHEN 'idempotency_key' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX012', COLUMN = 'idempotency_key',
                MESSAGE = format('idempotency_key: must be 1 to %s printable characters',
                                 ledger_private.api_limit('idempotency_key_length')),
                DETAIL = format('got %s', CASE WHEN p_key IS NULL THEN 'NULL'
                                               ELSE char_length(p_key) || ' characters' END),
                HINT = 'Use a UUID or another unique id per business operation.';
        WHEN 'memo' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX019', COLUMN = 'memo',
                MESSAGE = format('memo: at most %s characters, got %s',
                                 ledger_private.api_limit('memo_length'), char_length(p_memo));
        WHEN 'ref' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX019', COLUMN = 'ref',
                MESSAGE = format('ref: at most %s characters, got %s',
                                 ledger_private.api_limit('ref_length'), char_length(p_ref));
        WHEN 'metadata_type' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX019', COLUMN = 'metadata',
                MESSAGE = format('metadata: must be a JSON object, got %s', jsonb_typeof(p_metadata));
        WHEN 'metadata_size' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX019', COLUMN = 'metadata',
                MESSAGE = format('metadata: at most %s bytes of JSON, got %s',
                                 ledger_private.api_limit('metadata_bytes'),
                                 octet_length(p_metadata::text));
        ELSE
            NULL;  -- every field is fine
    END CASE;
END
$$;

COMMENT ON FUNCTION ledger_private.check_posting_fields(text, text, text, text, jsonb) IS
    'Raises for the scalar field of a posting request that posting_field_problem names';
