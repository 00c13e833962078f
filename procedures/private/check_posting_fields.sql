-- ledger_private.check_posting_fields(tenant, key, memo, ref, metadata): the scalar fields
-- of a posting request. Raises DX012 (idempotency key) and DX019 (tenant, memo, ref,
-- metadata). posting_fields_ok (posting_fields_ok.sql) is the same test as one boolean: keep
-- the two in step.

CREATE OR REPLACE FUNCTION ledger_private.check_posting_fields(
    p_tenant text, p_key text, p_memo text, p_ref text, p_metadata jsonb
) RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    PERFORM ledger_private.check_tenant(p_tenant);
    IF p_key IS NULL OR char_length(p_key) NOT BETWEEN 1 AND 255 OR p_key ~ '[[:cntrl:]]' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX012', COLUMN = 'idempotency_key',
            MESSAGE = 'idempotency_key: must be 1 to 255 printable characters',
            DETAIL = format('got %s', CASE WHEN p_key IS NULL THEN 'NULL'
                                           ELSE char_length(p_key) || ' characters' END),
            HINT = 'Use a UUID or another unique id per business operation.';
    END IF;
    IF char_length(p_memo) > 1000 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX019', COLUMN = 'memo',
            MESSAGE = format('memo: at most 1000 characters, got %s', char_length(p_memo));
    END IF;
    IF char_length(p_ref) > 200 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX019', COLUMN = 'ref',
            MESSAGE = format('ref: at most 200 characters, got %s', char_length(p_ref));
    END IF;
    IF p_metadata IS NOT NULL AND jsonb_typeof(p_metadata) <> 'object' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX019', COLUMN = 'metadata',
            MESSAGE = format('metadata: must be a JSON object, got %s', jsonb_typeof(p_metadata));
    END IF;
    IF octet_length(p_metadata::text) > 16384 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX019', COLUMN = 'metadata',
            MESSAGE = 'metadata: at most 16 KiB of JSON';
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.check_posting_fields(text, text, text, text, jsonb) IS
    'Validates the scalar fields of a posting request';
