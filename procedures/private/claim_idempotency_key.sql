-- ledger_private.claim_idempotency_key(tenant, key, operation, fingerprint, id) → boolean:
-- true when this call claimed the key for `id` (a journal or an FX settlement), false when
-- the key was taken already (the caller answers it with replay_posting).
-- Callers with one key queue on its lock (lock_idempotency_key). A queued caller's
-- snapshot predates the winner's commit, so its sentinel insert fails with 40001; the
-- retry then reads the winner's sentinel and answers 'duplicate'. Never a second journal.
-- ON CONFLICT takes no predicate lock, so keys that share an index page do not make
-- unrelated postings conflict.

CREATE OR REPLACE FUNCTION ledger_private.claim_idempotency_key(p_tenant text, p_key text,
    p_operation text, p_fingerprint bytea, p_id uuid) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM ledger_private.lock_idempotency_key(p_tenant, p_key);
    INSERT INTO ledger_private.idempotency_sentinel AS s
           (tenant, idempotency_key, operation, fingerprint, journal_id)
    VALUES (p_tenant, p_key, p_operation, p_fingerprint, p_id)
    ON CONFLICT ON CONSTRAINT idempotency_sentinel_pkey DO NOTHING;
    RETURN FOUND;
END
$$;

COMMENT ON FUNCTION ledger_private.claim_idempotency_key(text, text, text, bytea, uuid) IS
    'Locks an idempotency key and claims it with a sentinel row; false when taken already';
