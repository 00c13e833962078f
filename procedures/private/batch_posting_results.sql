-- ledger_private.batch_posting_results(operation, requests, tenant, actor) → one
-- ledger.batch_item_result per request, in order: the careful path of ledger.post_journals
-- (operation 'post_journal'; 'reverse_journal' answers the same way), each request's row of
-- ledger_private.run_batch_requests with the posting's journal_id, effective_date and
-- created_at read out of its result. post_journals authorizes and checks the batch itself,
-- before its fast path; the other batches go through ledger_private.batch_results.
-- The caller has authorized the batch (ledger_private.authorize_write) and checked its shape
-- (ledger_private.check_batch), as run_batch_requests expects.

CREATE OR REPLACE FUNCTION ledger_private.batch_posting_results(
    p_operation text, p_requests jsonb, p_tenant text, p_actor text
) RETURNS SETOF ledger.batch_item_result
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    RETURN QUERY
        SELECT r.position, r.idempotency_key, p.journal_id, r.status, p.effective_date, p.created_at,
               r.error_code, r.error_field, r.error_message
          FROM ledger_private.run_batch_requests(p_operation, p_requests, p_tenant, p_actor) AS r
         CROSS JOIN LATERAL jsonb_populate_record(NULL::ledger.posting_result, r.result) AS p
         ORDER BY r.position;
END
$$;

COMMENT ON FUNCTION ledger_private.batch_posting_results(text, jsonb, text, text) IS
    'A posting batch''s careful path: one batch_item_result per request, in order';
