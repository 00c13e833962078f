-- ledger_private.batch_results(operation, requests, tenant, shape) → one row per request, in
-- order: what ledger.reverse_journals, create_holds and capture_holds do, written once. It
-- authorizes the batch (ledger_private.authorize_write, capability post: DX016, DX019,
-- DX040–DX043, before anything is read), checks its shape (ledger_private.check_batch:
-- DX024, before any request), runs each request through its single function
-- (ledger_private.run_batch_requests, one subtransaction each: a DX error is that request's
-- rejection, 40001 and 40P01 abort the batch) and reads each request's result out of its
-- JSON as a row of the single function's type, shape's (NULL::ledger.hold_result, …).
-- Each caller states only its operation, its result type and its columns.
-- ledger.post_journals authorizes and checks itself (its fast path comes first) and takes
-- the careful path through ledger_private.batch_posting_results.

CREATE OR REPLACE FUNCTION ledger_private.batch_results(
    p_operation text, p_requests jsonb, p_tenant text, p_shape anyelement
) RETURNS TABLE ("position" integer, idempotency_key text, status text, error_code text,
                error_field text, error_message text, result anyelement)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize_write('post', p_tenant);
BEGIN
    PERFORM ledger_private.check_batch(p_requests);  -- DX024
    RETURN QUERY
        SELECT r.position, r.idempotency_key, r.status, r.error_code, r.error_field, r.error_message,
               jsonb_populate_record(p_shape, r.result)
          FROM ledger_private.run_batch_requests(p_operation, p_requests, v_who.tenant, v_who.actor) AS r
         ORDER BY r.position;
END
$$;

COMMENT ON FUNCTION ledger_private.batch_results(text, jsonb, text, anyelement) IS
    'Authorizes and checks a batch, runs its requests: each request''s row, its result read as shape''s type, in order';
