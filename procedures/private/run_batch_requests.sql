-- ledger_private.run_batch_requests(operation, requests, tenant, actor) → one row per
-- request, in order: the careful path of every set-based function (ledger.post_journals,
-- reverse_journals, create_holds, capture_holds). Each request runs through the single
-- request's own path, in its own subtransaction:
--   post_journal      ledger_private.post_journal_request (the path of ledger.post_journal)
--   reverse_journal   ledger.reverse_journal
--   create_hold       ledger.create_hold
--   capture_hold      ledger.capture_hold
-- with its fields cast to that function's arguments once ledger_private.check_batch_request
-- has found them of their type (the request an object, DX024; a typed field that does not
-- parse, DX019). Its row: status and result (the single function's row as JSON), or status
-- 'rejected' with the DX code, field and message it raised; a rejected request wrote
-- nothing. 'DX000' matches the whole DX class: rule violations only; anything else (40001,
-- 40P01, out of memory) aborts the batch, so that the caller retries it whole.
-- The caller has authorized the batch (ledger_private.authorize_write) and checked its shape
-- (ledger_private.check_batch); the public single functions authorize each request again.

CREATE OR REPLACE FUNCTION ledger_private.run_batch_requests(
    p_operation text, p_requests jsonb, p_tenant text, p_actor text
) RETURNS TABLE (
    "position" integer,
    idempotency_key text,
    status text,
    result jsonb,
    error_code text,
    error_field text,
    error_message text
)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_request jsonb;
BEGIN
    "position" := 0;
    FOR v_request IN SELECT r.value FROM jsonb_array_elements(p_requests) AS r LOOP
        idempotency_key := v_request ->> 'idempotency_key';
        error_code := NULL;
        error_field := NULL;
        error_message := NULL;
        BEGIN
            CASE p_operation
                WHEN 'post_journal' THEN
                    v_request := ledger_private.check_batch_request(
                        "position", v_request, ARRAY['effective_date:date']);
                    result := to_jsonb(ledger_private.post_journal_request(
                        p_tenant, v_request ->> 'idempotency_key', 'post_journal', v_request -> 'legs',
                        (v_request ->> 'effective_date')::date, v_request ->> 'memo', v_request ->> 'ref',
                        coalesce(v_request -> 'metadata', '{}'::jsonb), 'transfer', NULL, p_actor,
                        v_request -> 'conditions'));
                WHEN 'reverse_journal' THEN
                    v_request := ledger_private.check_batch_request(
                        "position", v_request, ARRAY['journal_id:uuid']);
                    result := to_jsonb(ledger.reverse_journal(
                        (v_request ->> 'journal_id')::uuid, v_request ->> 'idempotency_key',
                        v_request ->> 'memo', p_tenant));
                WHEN 'create_hold' THEN
                    v_request := ledger_private.check_batch_request(
                        "position", v_request, ARRAY['expires_at:timestamptz']);
                    result := to_jsonb(ledger.create_hold(
                        v_request ->> 'idempotency_key', v_request -> 'legs',
                        (v_request ->> 'expires_at')::timestamptz, v_request ->> 'memo',
                        v_request ->> 'ref', coalesce(v_request -> 'metadata', '{}'::jsonb),
                        v_request -> 'conditions', p_tenant));
                WHEN 'capture_hold' THEN
                    v_request := ledger_private.check_batch_request(
                        "position", v_request, ARRAY['hold_id:uuid', 'effective_date:date']);
                    result := to_jsonb(ledger.capture_hold(
                        (v_request ->> 'hold_id')::uuid, v_request ->> 'idempotency_key',
                        v_request -> 'amounts', (v_request ->> 'effective_date')::date,
                        v_request -> 'conditions', p_tenant));
            END CASE;
            status := result ->> 'status';
        EXCEPTION WHEN SQLSTATE 'DX000' THEN
            GET STACKED DIAGNOSTICS error_code = RETURNED_SQLSTATE, error_field = COLUMN_NAME,
                                    error_message = MESSAGE_TEXT;
            error_field := nullif(error_field, '');
            status := 'rejected';
            result := NULL;
        END;
        RETURN NEXT;
        "position" := "position" + 1;
    END LOOP;
END
$$;

COMMENT ON FUNCTION ledger_private.run_batch_requests(text, jsonb, text, text) IS
    'The requests of a set-based call, each through its single function in a subtransaction: one row per request, in order';
