-- ledger.capture_holds: capture up to api_limit('batch_requests') holds in one call and one
-- transaction, each request as ledger.capture_hold would capture it alone.
--
--   SELECT * FROM ledger.capture_holds('[
--     {"hold_id": "0190…", "idempotency_key": "cap-1"},
--     {"hold_id": "0191…", "idempotency_key": "cap-2", "amounts": ["60.00", "60.00"]}]');
--   → position, idempotency_key, hold_id, status, journal_id, effective_date, resolved_at,
--     error_code, error_field, error_message
--
-- Each request has the arguments of capture_hold (hold_id, idempotency_key, amounts,
-- effective_date, conditions). Results come back one per request, in order, with
-- capture_hold's columns: 'captured' or 'duplicate', or 'rejected' with the DX code, field
-- and message capture_hold raises for that request (DX049–DX053, every posting error). A
-- rejected request writes nothing (its own subtransaction is rolled back); the others still
-- go, in order: one hold captured twice under two keys → the second is DX050; the same key
-- and request twice → 'duplicate'.
-- Each request runs through ledger.capture_hold itself (no check has a second definition), by
-- ledger_private.batch_results;
-- a request that is not an object is DX024, a hold_id that is not a uuid or an
-- effective_date that is not a date DX019 (ledger_private.check_batch_request).
-- Raises DX016, DX019 (tenant), DX024 (requests not an array of 0–1,000), before any request;
-- capability post, on the caller's own tenant (tenant NULL or its name): DX040–DX043, before
-- anything is read; 40001 and deadlocks abort the whole batch for a retry, never a request's
-- rejection (all of it in ledger_private.batch_results).

CREATE OR REPLACE FUNCTION ledger.capture_holds(
    requests jsonb,
    tenant text DEFAULT NULL
) RETURNS TABLE (
    "position" integer,
    idempotency_key text,
    hold_id uuid,
    status text,
    journal_id uuid,
    effective_date date,
    resolved_at timestamptz,
    error_code text,
    error_field text,
    error_message text
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
        SELECT r.position, r.idempotency_key, (r.result).hold_id, r.status, (r.result).journal_id,
               (r.result).effective_date, (r.result).resolved_at, r.error_code, r.error_field, r.error_message
          FROM ledger_private.batch_results('capture_hold', capture_holds.requests, capture_holds.tenant,
                                            NULL::ledger.hold_resolution_result) AS r;
END
$$;

COMMENT ON FUNCTION ledger.capture_holds(jsonb, text) IS
    'Captures up to api_limit(''batch_requests'') holds in one transaction, one result per request';
GRANT EXECUTE ON FUNCTION ledger.capture_holds(jsonb, text) TO doublex_api;
