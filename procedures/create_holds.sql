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
-- Each request runs through ledger.create_hold itself (no check has a second definition);
-- a request that is not an object is DX024, an expires_at that is not a timestamp DX019
-- (ledger_private.check_batch_request).
-- Serialization failures (40001) and deadlocks abort the whole batch so the caller retries
-- it: they are never reported as a request's rejection.
-- Raises DX016, DX019 (tenant), DX024 (requests not an array of 0–1,000), before any request.
-- Capability post, on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

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
DECLARE
    v_who ledger_private.principal;
    v_request jsonb;
    v_hold ledger.hold_result;
BEGIN
    v_who := ledger_private.authorize_write('post', create_holds.tenant);
    PERFORM ledger_private.check_batch(create_holds.requests);  -- DX024
    "position" := 0;
    -- One subtransaction per request. 'DX000' matches the whole DX class: rule violations
    -- only; anything else (40001, 40P01, out of memory) aborts the batch.
    FOR v_request IN SELECT r.value FROM jsonb_array_elements(create_holds.requests) AS r LOOP
        idempotency_key := v_request ->> 'idempotency_key';
        error_code := NULL;
        error_field := NULL;
        error_message := NULL;
        BEGIN
            v_request := ledger_private.check_batch_request("position", v_request,
                                                            ARRAY['expires_at:timestamptz']);
            v_hold := ledger.create_hold(v_request ->> 'idempotency_key', v_request -> 'legs',
                                         (v_request ->> 'expires_at')::timestamptz,
                                         v_request ->> 'memo', v_request ->> 'ref',
                                         coalesce(v_request -> 'metadata', '{}'::jsonb),
                                         v_request -> 'conditions',
                                         v_who.tenant);
            hold_id := v_hold.hold_id;
            status := v_hold.status;
            expires_at := v_hold.expires_at;
            created_at := v_hold.created_at;
        EXCEPTION WHEN SQLSTATE 'DX000' THEN
            GET STACKED DIAGNOSTICS error_code = RETURNED_SQLSTATE, error_field = COLUMN_NAME,
                                    error_message = MESSAGE_TEXT;
            error_field := nullif(error_field, '');
            hold_id := NULL;
            status := 'rejected';
            expires_at := NULL;
            created_at := NULL;
        END;
        RETURN NEXT;
        "position" := "position" + 1;
    END LOOP;
END
$$;

COMMENT ON FUNCTION ledger.create_holds(jsonb, text) IS
    'Creates up to api_limit(''batch_requests'') holds in one transaction, one result per request';
GRANT EXECUTE ON FUNCTION ledger.create_holds(jsonb, text) TO doublex_api;
