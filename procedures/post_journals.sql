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
    v_position integer := 0;
    v_posted ledger.posting_result;
    v_effective_date date;
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

    FOR v_request IN SELECT r.value FROM jsonb_array_elements(post_journals.requests) AS r LOOP
        BEGIN
            IF jsonb_typeof(v_request) <> 'object' THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'DX024', COLUMN = format('requests[%s]', v_position),
                    MESSAGE = format('requests[%s]: must be an object', v_position);
            END IF;
            BEGIN
                v_effective_date := (v_request ->> 'effective_date')::date;
            EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'DX019', COLUMN = 'effective_date',
                    MESSAGE = format('effective_date: %s is not a date (YYYY-MM-DD)',
                                     v_request -> 'effective_date');
            END;
            v_posted := ledger_private.post_journal_request(
                post_journals.tenant,
                v_request ->> 'idempotency_key',
                'post_journal',
                v_request -> 'legs',
                v_effective_date,
                v_request ->> 'memo',
                v_request ->> 'ref',
                coalesce(v_request -> 'metadata', '{}'::jsonb),
                'transfer',
                NULL);
            RETURN NEXT ROW(v_position, v_request ->> 'idempotency_key', v_posted.journal_id,
                            v_posted.status, v_posted.effective_date, v_posted.created_at,
                            NULL, NULL, NULL)::ledger.batch_item_result;
        EXCEPTION WHEN SQLSTATE 'DX000' THEN
            -- 'DX000' matches the whole DX class: rule violations only. Anything else
            -- (40001, 40P01, out of memory) aborts the batch.
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
