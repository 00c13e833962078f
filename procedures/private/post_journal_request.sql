-- ledger_private.post_journal_request(…): the one path every posting takes (post_journal,
-- reverse_journal, the batch). Order matters:
--   1. shape checks, then the canonical request and its SHA-256 fingerprint;
--   2. the advisory lock on (tenant, key) and the sentinel row: a replay is answered from
--      the sentinel before any business check, so it gets the original result even if an
--      account has been frozen since;
--   3. journal and legs (the leg trigger checks accounts, currencies and decimals);
--   4. the deferred journal checks fired now, so a batch sees the error of this request.
-- Raises DX001–DX012, DX014, DX016, DX019, DX021 (see sql/errors.md).

CREATE OR REPLACE FUNCTION ledger_private.post_journal_request(
    p_tenant text,
    p_key text,
    p_operation text,
    p_legs jsonb,
    p_effective_date date,
    p_memo text,
    p_ref text,
    p_metadata jsonb,
    p_kind text,
    p_reverses uuid
) RETURNS ledger.posting_result
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_legs jsonb;
    v_fingerprint bytea;
    v_journal_id uuid := ledger_private.uuid_v7();
    v_effective_date date;
    v_created_at timestamptz;
    v_account_ids bigint[];
    v_missing integer;
BEGIN
    PERFORM ledger_private.require_serializable();
    PERFORM ledger_private.check_posting_fields(p_tenant, p_key, p_memo, p_ref, p_metadata);
    v_legs := ledger_private.normalize_legs(p_legs);
    v_fingerprint := sha256(convert_to(jsonb_build_object(
        'operation', p_operation,
        'legs', v_legs,
        'effective_date', p_effective_date,
        'memo', p_memo,
        'ref', p_ref,
        'metadata', coalesce(p_metadata, '{}'::jsonb),
        'reverses', p_reverses)::text, 'UTF8'));

    -- Callers with one key queue on this lock. A queued caller's snapshot predates the
    -- winner's commit, so its sentinel insert fails with 40001; the retry then reads the
    -- winner's sentinel and answers 'duplicate'. Never a second journal.
    PERFORM pg_advisory_xact_lock(hashtext('doublex.idempotency'), hashtext(p_tenant || '/' || p_key));
    -- ON CONFLICT takes no predicate lock, so keys that share an index page do not make
    -- unrelated postings conflict.
    INSERT INTO ledger_private.idempotency_sentinel AS s
           (tenant, idempotency_key, operation, fingerprint, journal_id)
    VALUES (p_tenant, p_key, p_operation, v_fingerprint, v_journal_id)
    ON CONFLICT (tenant, idempotency_key) DO NOTHING;
    IF NOT FOUND THEN
        RETURN ledger_private.replay_posting(p_tenant, p_key, v_fingerprint);
    END IF;

    IF p_reverses IS NOT NULL AND EXISTS (
        SELECT FROM ledger_private.journal AS j WHERE j.reverses = p_reverses
    ) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX014', COLUMN = 'journal_id',
            MESSAGE = format('journal_id: journal %s is already reversed', p_reverses),
            HINT = 'A journal is reversed at most once; replay the original reversal key to read it.';
    END IF;

    v_effective_date := coalesce(p_effective_date, ledger_private.default_effective_date(p_tenant));
    INSERT INTO ledger_private.journal AS j
           (journal_id, tenant, idempotency_key, kind, effective_date, memo, ref, metadata, reverses)
    VALUES (v_journal_id, p_tenant, p_key, p_kind, v_effective_date, p_memo, p_ref,
            coalesce(p_metadata, '{}'::jsonb), p_reverses)
    RETURNING j.created_at INTO v_created_at;

    -- One index lookup per leg (a scalar subquery): a join could choose to scan the whole
    -- account table, and under SERIALIZABLE that read would lock all of it.
    SELECT array_agg((SELECT a.account_id FROM ledger_private.account AS a
                       WHERE a.tenant = p_tenant AND a.code = l.value ->> 'account')
                     ORDER BY l.ordinality)
      INTO v_account_ids
      FROM jsonb_array_elements(v_legs) WITH ORDINALITY AS l;
    v_missing := array_position(v_account_ids, NULL);
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX006', COLUMN = format('legs[%s].account', v_missing - 1),
            MESSAGE = format('legs[%s].account: no account %s in tenant %s',
                             v_missing - 1, v_legs -> (v_missing - 1) ->> 'account', p_tenant),
            HINT = 'Create it first with ledger.create_account().';
    END IF;
    INSERT INTO ledger_private.leg (journal_id, leg_no, account_id, side, amount, ccy)
    SELECT v_journal_id, l.ordinality, v_account_ids[l.ordinality], l.value ->> 'side',
           (l.value ->> 'amount')::numeric, l.value ->> 'ccy'
      FROM jsonb_array_elements(v_legs) WITH ORDINALITY AS l
     ORDER BY l.ordinality;

    -- Run the commit-time checks now: inside a batch, a failure must surface in this
    -- request's subtransaction, not at the batch's COMMIT.
    SET CONSTRAINTS ledger_private.journal_balanced, ledger_private.leg_checked_at_commit IMMEDIATE;
    SET CONSTRAINTS ledger_private.journal_balanced, ledger_private.leg_checked_at_commit DEFERRED;

    RETURN ROW(v_journal_id, 'posted', v_effective_date, v_created_at)::ledger.posting_result;
END
$$;

COMMENT ON FUNCTION ledger_private.post_journal_request(text, text, text, jsonb, date, text, text, jsonb, text, uuid) IS
    'Idempotent, validated posting of one journal: the path shared by every posting function';
