-- ledger.capture_hold: post a pending hold as a journal, whole or in part, idempotently.
--
--   SELECT * FROM ledger.capture_hold(hold_id => '0190…', idempotency_key => 'cap-7f3a');
--   SELECT * FROM ledger.capture_hold('0190…', 'cap-7f3a', amounts => '["60.00", "60.00"]');
--   → hold_id, status ('captured' | 'duplicate'), journal_id, effective_date, resolved_at
--
-- amounts          NULL: every leg as held. Else one decimal string per leg of the hold, in
--                  its order, each at most what that leg holds ("0" leaves the leg out); the
--                  journal must still balance (DX009) and have two legs. The remainder is
--                  released. Anything else is DX053.
-- effective_date   as for ledger.post_journal (NULL: the business date; the backdating
--                  guard applies, DX025/DX029).
-- conditions       as for ledger.post_journal: balance conditions on the balances after the
--                  capture (its journal posted, the hold released), checked after the
--                  journal is written (check_conditions); part of the capture's fingerprint.
-- The journal is written here, straight from the hold's legs by account id
-- (ledger_private.legs_to_capture, amounts scaled for a part), not through the request
-- path: create_hold checked the legs' shape, accounts, currencies and balance, and the
-- hold's legs never change. What can have changed since is checked again, in the order and
-- with the errors of post_journal_request: the backdating guard on the journal (DX025,
-- DX029), each leg's account status and posting limit (DX007, DX047) and a part's decimals
-- (DX004), a part's balance (DX009), the accounts' limits (DX010, DX054) and the conditions
-- (DX057). Kind transfer, the hold's memo, ref and metadata, created_by the capturing
-- principal, and the idempotency key hold:<hold_id> with its sentinel (a hold is captured
-- once, so this key is unique; a client journal posted under that key first makes the
-- capture DX011, never a silent duplicate).
-- Capture, void and expiry are exclusive (ledger_private.claim_hold_resolution): a second
-- capture DX050, after a void DX051, after expiry DX052; the same key and request replayed
-- → duplicate; the key reused for another request → DX011. No such hold → DX049.
-- The capture key is unique per tenant among captures and voids, apart from journal keys.
-- Raises DX004, DX007, DX009, DX010, DX011, DX012, DX016, DX019, DX025, DX029, DX047,
-- DX049–DX054, DX056, DX057. Needs SERIALIZABLE.
-- Capability post, on the caller's own tenant (DX040–DX043, ledger_private.authorize first).

CREATE OR REPLACE FUNCTION ledger.capture_hold(
    hold_id uuid,
    idempotency_key text,
    amounts jsonb DEFAULT NULL,
    effective_date date DEFAULT NULL,
    conditions jsonb DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.hold_resolution_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize_write('post', capture_hold.tenant);
    v_tenant text := v_who.tenant;
    v_replay ledger.hold_resolution_result;
    v_hold ledger_private.hold;
    v_legs record;
    v_journal_id uuid := ledger_private.uuid_v7();
    v_effective_date date;
    v_created_at timestamptz;
    v_conditions jsonb := ledger_private.normalize_conditions(capture_hold.conditions);  -- DX056
    v_fingerprint bytea;
    v_posting ledger.posting_result;
BEGIN
    IF ledger_private.posting_field_problem(v_tenant, capture_hold.idempotency_key, NULL, NULL, '{}')
           IS NOT NULL THEN
        PERFORM ledger_private.check_posting_fields(v_tenant, capture_hold.idempotency_key, NULL,
                                                    NULL, '{}');
    END IF;
    v_fingerprint := ledger_private.fingerprint_of(jsonb_build_object(
        'operation', 'capture_hold', 'hold_id', capture_hold.hold_id,
        'amounts', capture_hold.amounts, 'effective_date', capture_hold.effective_date)
        || jsonb_strip_nulls(jsonb_build_object('conditions', v_conditions)));
    v_replay := ledger_private.claim_hold_resolution(
        v_tenant, capture_hold.hold_id, capture_hold.idempotency_key, 'captured', v_fingerprint,
        v_who.actor);
    IF v_replay.status IS NOT NULL THEN
        RETURN v_replay;
    END IF;

    -- The journal's legs: the hold's, by account id, with the amounts asked for (DX053).
    SELECT h.* INTO v_hold FROM ledger_private.hold AS h WHERE h.hold_id = capture_hold.hold_id;
    -- (Nested: the whole hold, the common case, runs no query here; the one with the count
    -- would be planned again on every call.)
    IF capture_hold.amounts IS NOT NULL THEN
        IF jsonb_typeof(capture_hold.amounts) IS DISTINCT FROM 'array'
           OR jsonb_array_length(capture_hold.amounts)
              <> (SELECT count(*) FROM ledger_private.hold_leg AS hl
                   WHERE hl.hold_id = capture_hold.hold_id) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX053', COLUMN = 'amounts',
                MESSAGE = 'amounts: must be an array with one amount per leg of the hold',
                HINT = 'Leave amounts out to capture the whole hold.';
        END IF;
    END IF;
    -- Two statements, so that each keeps one cached plan: with amounts a parameter, a custom
    -- plan folds away the other case's expressions and looks cheaper than the generic plan,
    -- so the statement would be planned again on every call (~0.4 ms).
    IF capture_hold.amounts IS NULL THEN
        SELECT * INTO v_legs FROM ledger_private.legs_to_capture(capture_hold.hold_id, NULL);
    ELSE
        SELECT * INTO v_legs FROM ledger_private.legs_to_capture(capture_hold.hold_id, capture_hold.amounts);
    END IF;
    IF v_legs.bad_leg IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX053', COLUMN = format('amounts[%s]', v_legs.bad_leg - 1),
            MESSAGE = format('amounts[%s]: %s', v_legs.bad_leg - 1, v_legs.problem);
    END IF;
    IF coalesce(cardinality(v_legs.account_ids), 0) < 2 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX053', COLUMN = 'amounts',
            MESSAGE = 'amounts: a capture posts at least two legs',
            HINT = 'Void the hold to release all of it.';
    END IF;

    IF current_setting('transaction_isolation') <> 'serializable' THEN
        PERFORM ledger_private.require_serializable();
    END IF;
    -- The key hold:<hold_id> and its sentinel, as for a journal posted under it: a client
    -- journal that took the key first makes the capture DX011 (replay_posting), never a
    -- silent duplicate, and a client posting under it later gets DX011 too.
    IF NOT ledger_private.claim_idempotency_key(v_tenant, 'hold:' || capture_hold.hold_id,
                                                'capture_hold', v_fingerprint, v_journal_id) THEN
        v_posting := ledger_private.replay_posting(v_tenant, 'hold:' || capture_hold.hold_id,
                                                   v_fingerprint);
        RETURN ROW(capture_hold.hold_id, 'captured', v_posting.journal_id,
                   v_posting.effective_date, now())::ledger.hold_resolution_result;
    END IF;

    v_effective_date := coalesce(capture_hold.effective_date,
                                 ledger_private.default_effective_date(v_tenant));
    v_created_at := now();
    -- From here to the end this function checks what it writes, as post_journal_request
    -- does (no deferred journal or leg check is queued). doublex.checked_legs vouches for
    -- the legs of this one journal, and only when legs_to_capture found every row check
    -- still passing (vouched): then leg_before_insert takes the tenant and date written
    -- here and checks nothing again. Otherwise the leg trigger checks each leg as for any
    -- posting and raises what changed since the hold (DX007, DX047, DX004), in leg order.
    -- The journal's own trigger (journal_date_guard) checks the date in every case.
    PERFORM set_config('doublex.checked_inline', 'on', true),
            set_config('doublex.checked_legs', CASE WHEN v_legs.vouched THEN v_journal_id::text ELSE '' END,
                       true);
    WITH j AS (
        INSERT INTO ledger_private.journal AS j
               (journal_id, tenant, idempotency_key, kind, effective_date, created_at, memo,
                ref, metadata, reverses, created_by)
        VALUES (v_journal_id, v_tenant, 'hold:' || capture_hold.hold_id, 'transfer',
                v_effective_date, v_created_at, v_hold.memo, v_hold.ref, v_hold.metadata, NULL,
                v_who.actor)
        RETURNING j.journal_id
    )
    INSERT INTO ledger_private.leg (journal_id, leg_no, tenant, effective_date, account_id, side,
                                    amount, ccy)
    SELECT j.journal_id, l.leg_no, v_tenant, v_effective_date, l.account_id, l.side, l.amount, l.ccy
      FROM j CROSS JOIN unnest(v_legs.account_ids, v_legs.sides, v_legs.amounts, v_legs.ccys)
                        WITH ORDINALITY AS l (account_id, side, amount, ccy, leg_no)
     ORDER BY l.leg_no;

    -- The journal checks, in the order post_journal_request runs them: the balance (a whole
    -- hold balances, create_hold checked it; a part may not), the limits on the balances
    -- after the capture (its journal posted, the hold released), the conditions.
    IF v_legs.legs IS NOT NULL THEN
        PERFORM ledger_private.check_legs_balance(v_journal_id, v_legs.legs);  -- DX009
    END IF;
    IF v_legs.constrained IS NOT NULL OR v_conditions IS NOT NULL THEN
        PERFORM ledger_private.check_balances_after(v_tenant, v_legs.account_ids,
                                                    v_legs.constrained, v_conditions);
    END IF;
    PERFORM set_config('doublex.checked_legs', '', true), set_config('doublex.checked_inline', 'off', true);
    RETURN ROW(capture_hold.hold_id, 'captured', v_journal_id, v_effective_date,
               now())::ledger.hold_resolution_result;
END
$$;

COMMENT ON FUNCTION ledger.capture_hold(uuid, text, jsonb, date, jsonb, text) IS
    'Posts a pending hold (whole or per-leg amounts) as a journal and releases the rest; exclusive with void and expiry';
GRANT EXECUTE ON FUNCTION ledger.capture_hold(uuid, text, jsonb, date, jsonb, text) TO doublex_api;
