-- ledger.create_hold: reserve a balanced set of legs without posting them, idempotently.
--
--   SELECT * FROM ledger.create_hold(
--     idempotency_key => 'auth-7f3a',
--     legs => '[{"account":"2001-CARDHOLDER","side":"debit","amount":"80.00","ccy":"EUR"},
--               {"account":"2900-SETTLEMENT","side":"credit","amount":"80.00","ccy":"EUR"}]',
--     expires_at => now() + interval '7 days');
--   → hold_id, status ('pending' | 'duplicate'), expires_at, created_at
--
-- The legs are checked exactly as a journal's (posting_field_problem, leg_array_problem,
-- summed_posting_legs / leg_problem, the leg row checks, balance per currency) and count as
-- pending on their accounts until the hold is captured (ledger.capture_hold), voided
-- (ledger.void_hold) or expires. Pending legs that reduce an account's balance reduce its
-- available balance at once; an account with limits (min_balance, max_balance,
-- allow_negative = false) must stay within them counting every pending hold
-- (check_balances_after → check_legs_limits → check_account_limits, DX010 / DX054).
-- idempotency_key  1–255 printable characters, unique per tenant among holds (a journal, a
--                  capture or a void may use the same string: separate key spaces)
-- expires_at       NULL: never; else after now (DX055). Past it the hold counts as released.
-- memo, ref, metadata  as for ledger.post_journal; the capture's journal carries them.
-- conditions       as for ledger.post_journal: balance conditions on the balances with this
--                  hold pending (available counts its legs that reduce a balance), checked
--                  after the hold is written (check_conditions); part of the fingerprint.
-- Same key and same request → the original hold with status 'duplicate'; a different
-- request → DX011.
-- Raises DX001–DX009, DX010, DX011, DX012, DX016, DX019, DX054, DX055, DX056, DX057.
-- Needs SERIALIZABLE.
-- Capability post, on the caller's own tenant (DX040–DX043, ledger_private.authorize first).

CREATE OR REPLACE FUNCTION ledger.create_hold(
    idempotency_key text,
    legs jsonb,
    expires_at timestamptz DEFAULT NULL,
    memo text DEFAULT NULL,
    ref text DEFAULT NULL,
    metadata jsonb DEFAULT '{}',
    conditions jsonb DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.hold_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize_write('post', create_hold.tenant);
    v_tenant text := v_who.tenant;
    v_metadata jsonb := coalesce(create_hold.metadata, '{}'::jsonb);
    v_hold_id uuid := ledger_private.uuid_v7();
    v_legs record;
    v_fingerprint bytea;
    v_existing ledger_private.hold;
    v_unbalanced text;
    v_conditions jsonb := ledger_private.normalize_conditions(create_hold.conditions);  -- DX056
BEGIN
    IF ledger_private.posting_field_problem(v_tenant, create_hold.idempotency_key, create_hold.memo,
                                            create_hold.ref, create_hold.metadata) IS NOT NULL THEN
        PERFORM ledger_private.check_posting_fields(v_tenant, create_hold.idempotency_key,
                                                    create_hold.memo, create_hold.ref,
                                                    create_hold.metadata);
    END IF;
    IF ledger_private.leg_array_problem(create_hold.legs) IS NOT NULL THEN
        PERFORM ledger_private.normalize_legs(create_hold.legs);  -- raises DX001 or DX002
    END IF;
    -- The one resolution of the legs, as post_journal_request's (summed_posting_legs).
    SELECT * INTO v_legs FROM ledger_private.summed_posting_legs(v_tenant, create_hold.legs);
    IF v_legs.malformed IS NOT NULL THEN
        PERFORM ledger_private.normalize_legs(create_hold.legs);  -- raises DX001, DX003 or DX005
    END IF;
    v_fingerprint := ledger_private.fingerprint_of(jsonb_build_object(
        'operation', 'create_hold', 'legs', create_hold.legs, 'expires_at', create_hold.expires_at,
        'memo', create_hold.memo, 'ref', create_hold.ref, 'metadata', v_metadata)
        || jsonb_strip_nulls(jsonb_build_object('conditions', v_conditions)));

    -- The key's lock (hold keys hash apart from journal keys) and its claim: the hold row.
    -- ON CONFLICT takes no predicate lock, as the journal sentinel's claim.
    PERFORM ledger_private.lock_idempotency_key(v_tenant, 'hold:' || create_hold.idempotency_key);
    INSERT INTO ledger_private.hold AS h
           (hold_id, tenant, idempotency_key, fingerprint, expires_at, memo, ref, metadata,
            created_by)
    VALUES (v_hold_id, v_tenant, create_hold.idempotency_key, v_fingerprint, create_hold.expires_at,
            create_hold.memo, create_hold.ref, v_metadata, v_who.actor)
    ON CONFLICT ON CONSTRAINT hold_key_per_tenant DO NOTHING;
    IF NOT FOUND THEN
        SELECT h.* INTO v_existing FROM ledger_private.hold AS h
         WHERE h.tenant = v_tenant AND h.idempotency_key = create_hold.idempotency_key;
        IF v_existing.fingerprint <> v_fingerprint THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX011', COLUMN = 'idempotency_key',
                MESSAGE = format('idempotency_key: %s was already used for a different hold',
                                 create_hold.idempotency_key),
                DETAIL = format('First used at %s for hold %s.', v_existing.created_at, v_existing.hold_id),
                HINT = 'Resend the identical request to get the original result, or use a new key.';
        END IF;
        RETURN ROW(v_existing.hold_id, 'duplicate', v_existing.expires_at,
                   v_existing.created_at)::ledger.hold_result;
    END IF;

    IF v_legs.missing IS NOT NULL THEN
        PERFORM ledger_private.raise_leg_error(
            'DX006', v_legs.missing, 'account',
            format('no account %s in tenant %s', create_hold.legs -> (v_legs.missing - 1) ->> 'account',
                   v_tenant),
            'Create it first with ledger.create_account().');
    END IF;
    IF NOT ledger_private.hold_is_live(create_hold.expires_at) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX055', COLUMN = 'expires_at',
            MESSAGE = format('expires_at: %s is not in the future', create_hold.expires_at),
            HINT = 'Leave it out for a hold that never expires.';
    END IF;
    IF NOT v_legs.balanced THEN
        v_unbalanced := ledger_private.unbalanced_currencies(create_hold.legs);
    END IF;
    IF v_unbalanced IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX009', COLUMN = 'legs',
            MESSAGE = 'legs: debits and credits differ in ' || v_unbalanced,
            DETAIL = format('hold %s', v_hold_id),
            HINT = 'Per currency, the debit amounts must add up to the credit amounts.';
    END IF;

    -- This function checks the limits of what it writes (the commit trigger need not), and
    -- vouches for its hold (hold_leg_before_insert does not look it up). The legs, and as
    -- the hold's open legs (open_hold_leg, with its expires_at; the trigger that opens the
    -- legs of other writers stands aside), in one statement.
    PERFORM set_config('doublex.checked_inline', 'on', true);
    WITH written AS (
        INSERT INTO ledger_private.hold_leg AS hl (hold_id, leg_no, tenant, account_id, side, amount, ccy)
        SELECT v_hold_id, e.ordinality, v_tenant, v_legs.account_ids[e.ordinality], e.value ->> 'side',
               (e.value ->> 'amount')::numeric, e.value ->> 'ccy'
          FROM jsonb_array_elements(create_hold.legs) WITH ORDINALITY AS e
         ORDER BY e.ordinality
        RETURNING hl.hold_id, hl.leg_no, hl.tenant, hl.account_id, hl.side, hl.amount
    )
    INSERT INTO ledger_private.open_hold_leg (hold_id, leg_no, tenant, account_id, side, amount, expires_at)
    SELECT w.hold_id, w.leg_no, w.tenant, w.account_id, w.side, w.amount, create_hold.expires_at
      FROM written AS w;
    IF v_legs.constrained IS NOT NULL OR v_conditions IS NOT NULL THEN
        PERFORM ledger_private.check_balances_after(v_tenant, v_legs.account_ids,
                                                    v_legs.constrained, v_conditions);
    END IF;
    PERFORM set_config('doublex.checked_inline', 'off', true);

    RETURN ROW(v_hold_id, 'pending', create_hold.expires_at, now())::ledger.hold_result;
END
$$;

COMMENT ON FUNCTION ledger.create_hold(text, jsonb, timestamptz, text, text, jsonb, jsonb, text) IS
    'Reserves a balanced set of legs as a pending hold, idempotently: status pending, or duplicate on replay';
GRANT EXECUTE ON FUNCTION ledger.create_hold(text, jsonb, timestamptz, text, text, jsonb, jsonb, text) TO doublex_api;
