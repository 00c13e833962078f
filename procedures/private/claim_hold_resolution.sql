-- ledger_private.claim_hold_resolution(tenant, hold_id, key, outcome, fingerprint, actor)
-- → ledger.hold_resolution_result: the exclusive, idempotent step of ledger.capture_hold
-- and ledger.void_hold. NULL when this call resolved the hold (its resolution row is
-- written: the caller goes on); the original result with status 'duplicate' on a replay.
--
-- A hold has at most one resolution (hold_resolution's primary key): of a capture, a void
-- and the expiry sweep on one hold, one wins, whatever runs beside it. Both the key's lock
-- (hashed apart from journal and hold keys) and the hold's lock queue concurrent callers;
-- a queued caller's snapshot predates the winner's commit, so its insert fails with 40001
-- and its retry sees the winner's row. The row is claimed with ON CONFLICT DO NOTHING (no
-- predicate lock on the key's index page) and only a refused claim reads why:
--   the key names a resolution of this hold with this fingerprint → duplicate;
--   the key names anything else → DX011;
--   the hold is resolved already → DX050 (captured), DX051 (voided), DX052 (expired).
-- A freshly claimed hold past its expires_at is DX052 (the claim rolls back with it).
-- No such hold in the tenant → DX049.

CREATE OR REPLACE FUNCTION ledger_private.claim_hold_resolution(
    p_tenant text, p_hold_id uuid, p_key text, p_outcome text, p_fingerprint bytea, p_actor text
) RETURNS ledger.hold_resolution_result
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_hold ledger_private.hold;
    v_resolution ledger_private.hold_resolution;
    v_journal record;
BEGIN
    PERFORM ledger_private.lock_idempotency_key(p_tenant, 'hold-resolution:' || p_key);
    SELECT h.* INTO v_hold FROM ledger_private.hold AS h
     WHERE h.hold_id = p_hold_id AND h.tenant = p_tenant;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX049', COLUMN = 'hold_id',
            MESSAGE = format('hold_id: no hold %s in tenant %s', p_hold_id, p_tenant);
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('doublex.hold'), hashtext(p_hold_id::text));
    INSERT INTO ledger_private.hold_resolution AS r
           (hold_id, tenant, outcome, idempotency_key, fingerprint, resolved_by)
    VALUES (p_hold_id, p_tenant, p_outcome, p_key, p_fingerprint, p_actor)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        IF NOT ledger_private.hold_is_live(v_hold.expires_at) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX052', COLUMN = 'hold_id',
                MESSAGE = format('hold_id: hold %s expired at %s', p_hold_id, v_hold.expires_at),
                HINT = 'An expired hold is released; create a new hold.';
        END IF;
        RETURN NULL;
    END IF;

    SELECT r.* INTO v_resolution FROM ledger_private.hold_resolution AS r
     WHERE r.tenant = p_tenant AND r.idempotency_key = p_key;
    IF FOUND THEN
        IF v_resolution.hold_id <> p_hold_id OR v_resolution.fingerprint <> p_fingerprint THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX011', COLUMN = 'idempotency_key',
                MESSAGE = format('idempotency_key: %s was already used for a different request', p_key),
                DETAIL = format('First used at %s to mark hold %s %s.', v_resolution.resolved_at,
                                v_resolution.hold_id, v_resolution.outcome),
                HINT = 'Resend the identical request to get the original result, or use a new key.';
        END IF;
        SELECT j.journal_id, j.effective_date INTO v_journal
          FROM ledger_private.idempotency_sentinel AS s
          JOIN ledger_private.journal AS j ON j.journal_id = s.journal_id
         WHERE v_resolution.outcome = 'captured'
           AND s.tenant = p_tenant AND s.idempotency_key = 'hold:' || p_hold_id;
        RETURN ROW(p_hold_id, 'duplicate', v_journal.journal_id, v_journal.effective_date,
                   v_resolution.resolved_at)::ledger.hold_resolution_result;
    END IF;

    SELECT r.* INTO v_resolution FROM ledger_private.hold_resolution AS r WHERE r.hold_id = p_hold_id;
    IF v_resolution.outcome = 'captured' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX050', COLUMN = 'hold_id',
            MESSAGE = format('hold_id: hold %s was already captured', p_hold_id),
            DETAIL = format('Captured at %s by %s.', v_resolution.resolved_at, v_resolution.resolved_by),
            HINT = 'A hold is captured at most once; replay the capture''s key to read it.';
    ELSIF v_resolution.outcome = 'voided' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX051', COLUMN = 'hold_id',
            MESSAGE = format('hold_id: hold %s was voided', p_hold_id),
            DETAIL = format('Voided at %s by %s.', v_resolution.resolved_at, v_resolution.resolved_by);
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = 'DX052', COLUMN = 'hold_id',
        MESSAGE = format('hold_id: hold %s expired at %s', p_hold_id, v_hold.expires_at),
        HINT = 'An expired hold is released; create a new hold.';
END
$$;

COMMENT ON FUNCTION ledger_private.claim_hold_resolution(text, uuid, text, text, bytea, text) IS
    'Claims a hold''s one resolution (capture or void) idempotently; DX011, DX049-DX052';
