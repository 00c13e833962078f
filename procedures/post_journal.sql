-- ledger.post_journal: post one balanced journal, idempotently.
--
--   SELECT * FROM ledger.post_journal(
--     idempotency_key => 'tx-0c47a2',
--     legs => '[{"account":"2001-LIAB","side":"debit","amount":"4500.00","ccy":"EUR"},
--               {"account":"1001-CASH","side":"credit","amount":"4500.00","ccy":"EUR"}]');
--   → journal_id, status ('posted' | 'duplicate'), effective_date, created_at
--
-- idempotency_key  1–255 printable characters, unique per tenant, never expires
-- legs             2–500 legs {account, side: debit|credit, amount: decimal string, ccy}
-- effective_date   business date; NULL → the current business date
-- memo, ref        free text (≤ 1000) and the external reference bank statements carry (≤ 200)
-- metadata         a JSON object (≤ 16 KiB)
-- conditions       NULL, or balance conditions that must hold after this posting, e.g.
--                  '[{"account":"2001-LIAB","field":"available","op":">=","amount":"0.00"}]'
--                  (field available|posted, default available; op >=, <=, =; at most
--                  api_limit conditions_max). Refused whole when one is false (DX057);
--                  part of the idempotency fingerprint. sql/README.md, "Balance conditions".
-- Same key and same request → the original result with status 'duplicate'.
-- Raises DX001–DX012, DX016, DX019, DX056, DX057, DX067 (a move fences the tenant:
-- ledger_private.enter_tenant_writes) (sql/errors.md). Needs SERIALIZABLE.
-- Capability post, on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.post_journal(
    idempotency_key text,
    legs jsonb,
    effective_date date DEFAULT NULL,
    memo text DEFAULT NULL,
    ref text DEFAULT NULL,
    metadata jsonb DEFAULT '{}',
    conditions jsonb DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.posting_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- post_journal_request requires SERIALIZABLE itself (DX016), after this.
    v_who ledger_private.principal := ledger_private.authorize('post', post_journal.tenant);
BEGIN
    PERFORM ledger_private.enter_tenant_writes(v_who.tenant);
    -- PL/pgSQL rather than SQL: its plan is cached for the session, where a SQL function
    -- behind SECURITY DEFINER is parsed and planned again on every call.
    RETURN ledger_private.post_journal_request(
        v_who.tenant, post_journal.idempotency_key, 'post_journal', post_journal.legs,
        post_journal.effective_date, post_journal.memo, post_journal.ref, post_journal.metadata,
        'transfer', NULL, v_who.actor, post_journal.conditions);
END
$$;

COMMENT ON FUNCTION ledger.post_journal(text, jsonb, date, text, text, jsonb, jsonb, text) IS
    'Posts one balanced journal idempotently: status posted, or duplicate on replay';
GRANT EXECUTE ON FUNCTION ledger.post_journal(text, jsonb, date, text, text, jsonb, jsonb, text) TO doublex_api;
