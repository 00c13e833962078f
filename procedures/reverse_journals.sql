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
-- definition), by ledger_private.batch_results (as create_holds and capture_holds);
-- a request that is not an object is DX024, a journal_id that is not a uuid DX019
-- (ledger_private.check_batch_request).
-- Raises DX016, DX019 (tenant), DX024 (requests not an array of 0–1,000), before any request;
-- capability post, on the caller's own tenant (tenant NULL or its name): DX040–DX043, before
-- anything is read; 40001 and deadlocks abort the whole batch for a retry, never a request's
-- rejection (all of it in ledger_private.batch_results).

CREATE OR REPLACE FUNCTION ledger.reverse_journals(
    requests jsonb,
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.batch_item_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
        SELECT r.position, r.idempotency_key, (r.result).journal_id, r.status, (r.result).effective_date,
               (r.result).created_at, r.error_code, r.error_field, r.error_message
          FROM ledger_private.batch_results('reverse_journal', reverse_journals.requests,
                                            reverse_journals.tenant, NULL::ledger.posting_result) AS r;
END
$$;

COMMENT ON FUNCTION ledger.reverse_journals(jsonb, text) IS
    'Reverses up to api_limit(''batch_requests'') journals in one transaction, one result per request';
GRANT EXECUTE ON FUNCTION ledger.reverse_journals(jsonb, text) TO doublex_api;
