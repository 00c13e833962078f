-- ledger_private.lock_idempotency_key(tenant, key): the transaction-scoped advisory lock
-- that queues the callers of one idempotency key (sql/README.md). The one definition of
-- that lock's key, taken by every idempotent posting (claim_idempotency_key, the batch's
-- fast path). SQL so that it is inlined into the caller's statement.

CREATE OR REPLACE FUNCTION ledger_private.lock_idempotency_key(p_tenant text, p_key text)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT pg_advisory_xact_lock(hashtext('doublex.idempotency'), hashtext(p_tenant || '/' || p_key))
$$;

COMMENT ON FUNCTION ledger_private.lock_idempotency_key(text, text) IS
    'Takes the transaction-scoped advisory lock of an idempotency key';
