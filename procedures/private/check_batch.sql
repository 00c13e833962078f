-- ledger_private.check_batch(requests) → integer: the shape every set-based function
-- (ledger.post_journals, reverse_journals, create_holds, capture_holds) checks first, before
-- any request: a JSON array of at most api_limit('batch_requests') elements; its length.
-- Raises DX024.

CREATE OR REPLACE FUNCTION ledger_private.check_batch(p_requests jsonb) RETURNS integer
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_count integer;
BEGIN
    IF p_requests IS NULL OR jsonb_typeof(p_requests) <> 'array' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX024', COLUMN = 'requests',
            MESSAGE = format('requests: must be a JSON array, got %s',
                             coalesce(jsonb_typeof(p_requests), 'NULL'));
    END IF;
    v_count := jsonb_array_length(p_requests);
    IF v_count > ledger_private.api_limit('batch_requests') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX024', COLUMN = 'requests',
            MESSAGE = format('requests: at most %s per batch, got %s',
                             ledger_private.api_limit('batch_requests'), v_count),
            HINT = 'Split the batch.';
    END IF;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION ledger_private.check_batch(jsonb) IS
    'DX024 unless requests is a JSON array of at most api_limit(''batch_requests''); its length';
