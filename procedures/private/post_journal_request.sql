-- ledger_private.post_journal_request(…): the one path every single posting takes
-- (post_journal, reverse_journal, a batch's careful path). Order matters:
--   1. shape checks, then the canonical request and its SHA-256 fingerprint;
--   2. the advisory lock on (tenant, key) and the sentinel row: a replay is answered from
--      the sentinel before any business check, so it gets the original result even if an
--      account has been frozen since;
--   3. journal and legs (the leg trigger checks accounts, currencies and decimals);
--   4. the journal checks (two or more legs, balanced per currency, non-negative policy)
--      run here, before returning, so a batch sees the error of this request;
--   5. the request's balance conditions (p_conditions, NULL for none: shape checked by
--      normalize_conditions before the fingerprint, which includes them; evaluated by
--      check_conditions on the balances after the writes, DX056/DX057).
-- The journal records p_actor (created_by: the principal authorize named, e.g. key:dxk_…).
-- Raises DX001–DX012, DX014, DX016, DX019, DX021, DX056, DX057 (see sql/errors.md).
--
-- Every check has one definition, shared with the batch's fast path and ledger.create_hold:
-- the fields (posting_field_problem), the legs array (leg_array_problem) and each leg
-- (leg_problem, resolved by posting_legs, summed up by summed_posting_legs), the
-- fingerprint (posting_fingerprint), the key's lock and sentinel (claim_idempotency_key),
-- the balance per currency (signed_amount, check_legs_balance) and the limits
-- (check_balances_after → check_legs_limits → check_account_limits: min_balance, max_balance,
-- allow_negative; then check_conditions).
--
-- Cost: a posting is mostly per-statement overhead, so the common case runs as few
-- statements as it can. Every field check is one inlined expression, and the helper that
-- names the field and raises is called only when that expression says something is off.
-- One query over the legs finds a malformed leg, resolves the accounts and adds up the
-- nets per currency. The journal checks run inline, from what that query found, instead of
-- firing the deferred constraint triggers with SET CONSTRAINTS … IMMEDIATE: while the
-- journal and its legs are written, doublex.checked_inline = 'on' tells the triggers that
-- this path checks them (the deferred triggers are not even queued, see
-- migrations/0003_invariant_triggers.sql), and the flag is cleared before returning, so any
-- leg written afterwards in the transaction is checked at commit as usual.

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
    p_reverses uuid,
    p_actor text,
    p_conditions jsonb DEFAULT NULL
) RETURNS ledger.posting_result
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_metadata jsonb := coalesce(p_metadata, '{}'::jsonb);
    v_journal_id uuid := ledger_private.uuid_v7();
    v_legs record;
    v_fingerprint bytea;
    v_effective_date date;
    v_created_at timestamptz;
    v_conditions jsonb;
BEGIN
    IF current_setting('transaction_isolation') <> 'serializable' THEN
        PERFORM ledger_private.require_serializable();
    END IF;
    IF ledger_private.posting_field_problem(p_tenant, p_key, p_memo, p_ref, p_metadata) IS NOT NULL THEN
        PERFORM ledger_private.check_posting_fields(p_tenant, p_key, p_memo, p_ref, p_metadata);
    END IF;
    IF ledger_private.leg_array_problem(p_legs) IS NOT NULL THEN
        PERFORM ledger_private.normalize_legs(p_legs);  -- raises DX001 or DX002
    END IF;

    -- One query over the legs (summed_posting_legs, inlined): the first malformed one,
    -- each leg's account, the legs on accounts with limits, and whether the journal nets to
    -- zero.
    SELECT * INTO v_legs FROM ledger_private.summed_posting_legs(p_tenant, p_legs);
    IF v_legs.malformed IS NOT NULL THEN
        PERFORM ledger_private.normalize_legs(p_legs);  -- raises DX001, DX003 or DX005
    END IF;
    IF p_conditions IS NOT NULL THEN
        v_conditions := ledger_private.normalize_conditions(p_conditions);  -- DX056
    END IF;
    -- The legs are canonical now (normalize_legs.sql says why the jsonb value is), and so
    -- are the conditions.
    v_fingerprint := ledger_private.posting_fingerprint(p_operation, p_legs, p_effective_date,
                                                        p_memo, p_ref, v_metadata, p_reverses,
                                                        v_conditions);
    -- A replay is answered from the sentinel before any business check.
    IF NOT ledger_private.claim_idempotency_key(p_tenant, p_key, p_operation, v_fingerprint,
                                                v_journal_id) THEN
        RETURN ledger_private.replay_posting(p_tenant, p_key, v_fingerprint);
    END IF;

    IF p_reverses IS NOT NULL THEN
        IF EXISTS (SELECT FROM ledger_private.journal AS j WHERE j.reverses = p_reverses) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX014', COLUMN = 'journal_id',
                MESSAGE = format('journal_id: journal %s is already reversed', p_reverses),
                HINT = 'A journal is reversed at most once; replay the original reversal key to read it.';
        END IF;
    END IF;

    IF v_legs.missing IS NOT NULL THEN
        PERFORM ledger_private.raise_leg_error(
            'DX006', v_legs.missing, 'account',
            format('no account %s in tenant %s', p_legs -> (v_legs.missing - 1) ->> 'account', p_tenant),
            'Create it first with ledger.create_account().');
    END IF;

    v_effective_date := coalesce(p_effective_date, ledger_private.default_effective_date(p_tenant));
    v_created_at := now();
    -- From here to the end this function checks what it writes (see the header).
    PERFORM set_config('doublex.checked_inline', 'on', true);
    -- The journal and its legs in one statement: the legs read the journal's row, so the
    -- journal (and its trigger, which opens the journal's state) is written first.
    WITH j AS (
        INSERT INTO ledger_private.journal AS j
               (journal_id, tenant, idempotency_key, kind, effective_date, created_at, memo,
                ref, metadata, reverses, created_by)
        VALUES (v_journal_id, p_tenant, p_key, p_kind, v_effective_date, v_created_at, p_memo,
                p_ref, v_metadata, p_reverses, p_actor)
        RETURNING j.journal_id
    )
    INSERT INTO ledger_private.leg (journal_id, leg_no, account_id, side, amount, ccy)
    SELECT j.journal_id, e.ordinality, v_legs.account_ids[e.ordinality], e.value ->> 'side',
           (e.value ->> 'amount')::numeric, e.value ->> 'ccy'
      FROM j CROSS JOIN jsonb_array_elements(p_legs) WITH ORDINALITY AS e
     ORDER BY e.ordinality;

    -- The journal checks, in the order the deferred triggers would report them.
    IF NOT v_legs.balanced THEN
        PERFORM ledger_private.check_legs_balance(v_journal_id, p_legs);  -- DX009
    END IF;
    IF v_legs.constrained IS NOT NULL OR v_conditions IS NOT NULL THEN
        PERFORM ledger_private.check_balances_after(p_tenant, v_legs.account_ids,
                                                    v_legs.constrained, v_conditions);
    END IF;
    -- Stop vouching for new rows: the journal's state says it was vouched for (its
    -- trigger saw the flag), so a leg added later in the transaction is checked at commit
    -- against exactly what it adds.
    PERFORM set_config('doublex.checked_inline', 'off', true);

    RETURN ROW(v_journal_id, 'posted', v_effective_date, v_created_at)::ledger.posting_result;
END
$$;

COMMENT ON FUNCTION ledger_private.post_journal_request(text, text, text, jsonb, date, text, text, jsonb, text, uuid, text, jsonb) IS
    'Idempotent, validated posting of one journal: the path shared by every posting function';
