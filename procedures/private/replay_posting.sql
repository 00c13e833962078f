-- ledger_private.replay_posting(tenant, key, fingerprint): the answer to a request whose
-- idempotency key is already taken. The same request gets the original result with
-- status 'duplicate'; a different one is refused with DX011 and changes nothing.

CREATE OR REPLACE FUNCTION ledger_private.replay_posting(
    p_tenant text, p_key text, p_fingerprint bytea
) RETURNS ledger.posting_result
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_sentinel record;
    v_result ledger.posting_result;
BEGIN
    SELECT s.fingerprint, s.journal_id, s.operation, s.created_at INTO v_sentinel
      FROM ledger_private.idempotency_sentinel AS s
     WHERE s.tenant = p_tenant AND s.idempotency_key = p_key;
    IF v_sentinel.fingerprint <> p_fingerprint THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX011', COLUMN = 'idempotency_key',
            MESSAGE = format('idempotency_key: %s was already used for a different request', p_key),
            DETAIL = format('First used at %s by %s for journal %s.',
                            v_sentinel.created_at, v_sentinel.operation, v_sentinel.journal_id),
            HINT = 'Resend the identical request to get the original result, or use a new key.';
    END IF;
    SELECT j.journal_id, 'duplicate', j.effective_date, j.created_at INTO v_result
      FROM ledger_private.journal AS j
     WHERE j.journal_id = v_sentinel.journal_id;
    RETURN v_result;
END
$$;

COMMENT ON FUNCTION ledger_private.replay_posting(text, text, bytea) IS
    'Original result of an idempotent posting, or DX011 when the request differs';
