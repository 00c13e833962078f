-- ledger.post_journals: post up to 1,000 journal requests in one call and one transaction.
--
--   SELECT * FROM ledger.post_journals('[
--     {"idempotency_key": "b-1", "legs": [...], "memo": "..."},
--     {"idempotency_key": "b-2", "legs": [...], "effective_date": "2026-11-20"}]');
--
-- Each request has the fields of post_journal (idempotency_key, legs, effective_date, memo,
-- ref, metadata). Results come back one per request, in order: 'posted', 'duplicate', or
-- 'rejected' with the DX code, field and message of that request's rejection. A rejected
-- request writes nothing (its own subtransaction is rolled back); the others still post.
-- A key repeated inside the batch behaves as a replay: the same request → 'duplicate',
-- a different one → rejected with DX011.
-- Serialization failures (40001) and deadlocks abort the whole batch so the caller retries
-- it: they are never reported as a request's rejection.
-- A batch is first tried in one subtransaction; only when a request is rejected is it redone
-- with one subtransaction per request. Clean batches (the usual case) thus avoid a
-- subtransaction per request, and the subtransaction-cache overflow beyond 64 that slows
-- every other session's snapshots.
-- Raises DX016, DX019 (tenant), DX024 (requests not an array of 0–1,000 objects).

CREATE OR REPLACE FUNCTION ledger.post_journals(
    requests jsonb,
    tenant text DEFAULT 'default'
) RETURNS SETOF ledger.batch_item_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_request jsonb;
    v_position integer;
    v_results ledger.batch_item_result[] := '{}'::ledger.batch_item_result[];
    v_code text;
    v_field text;
    v_message text;
BEGIN
    PERFORM ledger_private.require_serializable();
    PERFORM ledger_private.check_tenant(post_journals.tenant);
    IF post_journals.requests IS NULL OR jsonb_typeof(post_journals.requests) <> 'array' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX024', COLUMN = 'requests',
            MESSAGE = format('requests: must be a JSON array, got %s',
                             coalesce(jsonb_typeof(post_journals.requests), 'NULL'));
    END IF;
    IF jsonb_array_length(post_journals.requests) > 1000 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX024', COLUMN = 'requests',
            MESSAGE = format('requests: at most 1000 per batch, got %s',
                             jsonb_array_length(post_journals.requests)),
            HINT = 'Split the batch.';
    END IF;

    -- Fast path: every request in one subtransaction.
    BEGIN
        v_position := 0;
        FOR v_request IN SELECT r.value FROM jsonb_array_elements(post_journals.requests) AS r LOOP
            v_results := v_results
                || ledger_private.post_batch_request(post_journals.tenant, v_position, v_request);
            v_position := v_position + 1;
        END LOOP;
        RETURN QUERY SELECT * FROM unnest(v_results);
        RETURN;
    EXCEPTION WHEN SQLSTATE 'DX000' THEN
        -- A request was rejected: everything of this attempt is rolled back; redo carefully.
        v_results := '{}'::ledger.batch_item_result[];
    END;

    -- Careful path: one subtransaction per request. 'DX000' matches the whole DX class:
    -- rule violations only; anything else (40001, 40P01, out of memory) aborts the batch.
    v_position := 0;
    FOR v_request IN SELECT r.value FROM jsonb_array_elements(post_journals.requests) AS r LOOP
        BEGIN
            RETURN NEXT ledger_private.post_batch_request(post_journals.tenant, v_position, v_request);
        EXCEPTION WHEN SQLSTATE 'DX000' THEN
            GET STACKED DIAGNOSTICS v_code = RETURNED_SQLSTATE, v_field = COLUMN_NAME,
                                    v_message = MESSAGE_TEXT;
            RETURN NEXT ROW(v_position, v_request ->> 'idempotency_key', NULL, 'rejected', NULL,
                            NULL, v_code, nullif(v_field, ''), v_message)::ledger.batch_item_result;
        END;
        v_position := v_position + 1;
    END LOOP;
END
$$;

COMMENT ON FUNCTION ledger.post_journals(jsonb, text) IS
    'Posts up to 1000 journal requests in one transaction, one result per request';
GRANT EXECUTE ON FUNCTION ledger.post_journals(jsonb, text) TO doublex_app;
