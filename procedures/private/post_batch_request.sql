-- ledger_private.post_batch_request(tenant, position, request, actor): one request of a batch,
-- posted through the shared posting path; its result row, or the DX error it raises.
-- Raises DX024 (request not an object), DX019 (effective_date not a date) and every
-- posting error.

CREATE OR REPLACE FUNCTION ledger_private.post_batch_request(
    p_tenant text, p_position integer, p_request jsonb, p_actor text
) RETURNS ledger.batch_item_result
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_effective_date date;
    v_posted ledger.posting_result;
BEGIN
    IF jsonb_typeof(p_request) <> 'object' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX024', COLUMN = format('requests[%s]', p_position),
            MESSAGE = format('requests[%s]: must be an object', p_position);
    END IF;
    -- A block with an exception handler is a subtransaction: enter it only when there is a
    -- date to parse.
    IF p_request -> 'effective_date' IS NOT NULL
       AND jsonb_typeof(p_request -> 'effective_date') <> 'null' THEN
        BEGIN
            v_effective_date := (p_request ->> 'effective_date')::date;
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX019', COLUMN = 'effective_date',
                MESSAGE = format('effective_date: %s is not a date (YYYY-MM-DD)',
                                 p_request -> 'effective_date');
        END;
    END IF;
    v_posted := ledger_private.post_journal_request(
        p_tenant,
        p_request ->> 'idempotency_key',
        'post_journal',
        p_request -> 'legs',
        v_effective_date,
        p_request ->> 'memo',
        p_request ->> 'ref',
        coalesce(p_request -> 'metadata', '{}'::jsonb),
        'transfer',
        NULL,
        p_actor,
        p_request -> 'conditions');
    RETURN ROW(p_position, p_request ->> 'idempotency_key', v_posted.journal_id, v_posted.status,
               v_posted.effective_date, v_posted.created_at, NULL, NULL, NULL)::ledger.batch_item_result;
END
$$;

COMMENT ON FUNCTION ledger_private.post_batch_request(text, integer, jsonb, text) IS
    'One request of a post_journals batch';
