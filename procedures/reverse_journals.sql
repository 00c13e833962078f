-- ledger.reverse_journals: reverse up to api_limit('batch_requests') journals in one call
-- and one transaction, each request as ledger.reverse_journal would reverse it alone.
--
--   SELECT * FROM ledger.reverse_journals('[
--     {"journal_id": "0192f0c4-…", "idempotency_key": "rev-1", "memo": "duplicate charge"},
--     {"journal_id": "0192f0c5-…", "idempotency_key": "rev-2"}]');
--
-- Each request has the arguments of reverse_journal (journal_id, idempotency_key, memo).
-- Results come back one per request, in order, as post_journals' (ledger.batch_item_result):
-- 'posted' or 'duplicate' with the reversal's journal_id, effective_date and created_at, or
-- 'rejected' with the DX code, field and message reverse_journal raises for that request
-- (DX013 unknown journal, DX014 already reversed, DX022, DX011, every posting error). A
-- rejected request writes nothing (its own subtransaction is rolled back); the others still
-- post, in order: two requests reversing one journal, the second under another key, →
-- the second is rejected with DX014; the same key and request twice → 'duplicate'.
-- Each request runs through ledger.reverse_journal itself (no check has a second
-- definition); a request that is not an object is DX024, a journal_id that is not a uuid
-- DX019 (ledger_private.check_batch_request).
-- Serialization failures (40001) and deadlocks abort the whole batch so the caller retries
-- it: they are never reported as a request's rejection.
-- Raises DX016, DX019 (tenant), DX024 (requests not an array of 0–1,000), before any request.
-- Capability post, on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.reverse_journals(
    requests jsonb,
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.batch_item_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal;
    v_request jsonb;
    v_position integer := 0;
    v_reversal ledger.posting_result;
    v_code text;
    v_field text;
    v_message text;
BEGIN
    v_who := ledger_private.authorize_write('post', reverse_journals.tenant);
    PERFORM ledger_private.check_batch(reverse_journals.requests);  -- DX024
    -- One subtransaction per request. 'DX000' matches the whole DX class: rule violations
    -- only; anything else (40001, 40P01, out of memory) aborts the batch.
    FOR v_request IN SELECT r.value FROM jsonb_array_elements(reverse_journals.requests) AS r LOOP
        BEGIN
            v_request := ledger_private.check_batch_request(v_position, v_request,
                                                            ARRAY['journal_id:uuid']);
            v_reversal := ledger.reverse_journal((v_request ->> 'journal_id')::uuid,
                                                 v_request ->> 'idempotency_key',
                                                 v_request ->> 'memo', v_who.tenant);
            RETURN NEXT ROW(v_position, v_request ->> 'idempotency_key', v_reversal.journal_id,
                            v_reversal.status, v_reversal.effective_date, v_reversal.created_at,
                            NULL, NULL, NULL)::ledger.batch_item_result;
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

COMMENT ON FUNCTION ledger.reverse_journals(jsonb, text) IS
    'Reverses up to api_limit(''batch_requests'') journals in one transaction, one result per request';
GRANT EXECUTE ON FUNCTION ledger.reverse_journals(jsonb, text) TO doublex_api;
