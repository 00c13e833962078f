-- ledger.create_holds: create up to api_limit('batch_requests') holds in one call and one
-- transaction, each request as ledger.create_hold would create it alone.
--
--   SELECT * FROM ledger.create_holds('[
--     {"idempotency_key": "h-1", "legs": [...], "expires_at": "2026-12-01T00:00:00Z"},
--     {"idempotency_key": "h-2", "legs": [...], "memo": "card auth"}]');
--   → position, idempotency_key, hold_id, status, expires_at, created_at,
--     error_code, error_field, error_message
--
-- Each request has the arguments of create_hold (idempotency_key, legs, expires_at, memo,
-- ref, metadata, conditions). Results come back one per request, in order, with
-- create_hold's columns: 'pending' or 'duplicate', or 'rejected' with the DX code, field and
-- message create_hold raises for that request. A rejected request writes nothing (its own
-- subtransaction is rolled back); the others still go, in order: a hold counts against the
-- available balance of the holds after it (an account's limits are checked request by
-- request); the same key and request twice → 'duplicate', another request → DX011.
-- Each request runs through ledger.create_hold itself (no check has a second definition), by
-- ledger_private.batch_results;
-- a request that is not an object is DX024, an expires_at that is not a timestamp DX019
-- (ledger_private.check_batch_request).
-- Raises DX016, DX019 (tenant), DX024 (requests not an array of 0–1,000), before any request;
-- capability post, on the caller's own tenant (tenant NULL or its name): DX040–DX043, before
-- anything is read; 40001 and deadlocks abort the whole batch for a retry, never a request's
-- rejection (all of it in ledger_private.batch_results).

CREATE OR REPLACE FUNCTION ledger.create_holds(
    requests jsonb,
    tenant text DEFAULT NULL
) RETURNS TABLE (
    "position" integer,
    idempotency_key text,
    hold_id uuid,
    status text,
    expires_at timestamptz,
    created_at timestamptz,
    error_code text,
    error_field text,
    error_message text
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
        SELECT r.position, r.idempotency_key, (r.result).hold_id, r.status, (r.result).expires_at,
               (r.result).created_at, r.error_code, r.error_field, r.error_message
          FROM ledger_private.batch_results('create_hold', create_holds.requests, create_holds.tenant,
                                            NULL::ledger.hold_result) AS r;
END
$$;

COMMENT ON FUNCTION ledger.create_holds(jsonb, text) IS
    'Creates up to api_limit(''batch_requests'') holds in one transaction, one result per request';
GRANT EXECUTE ON FUNCTION ledger.create_holds(jsonb, text) TO doublex_api;
