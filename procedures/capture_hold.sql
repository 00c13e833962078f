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
--                  capture (its journal posted, the hold released), checked by the posting
--                  core; part of the capture's fingerprint.
-- The journal goes through the posting core (post_journal_request): kind transfer, the
-- hold's memo, ref and metadata, created_by the capturing principal, and the idempotency
-- key hold:<hold_id> (a hold is captured once, so this key is unique; a client journal
-- posted under that key first makes the capture DX011, never a silent duplicate).
-- Capture, void and expiry are exclusive (ledger_private.claim_hold_resolution): a second
-- capture DX050, after a void DX051, after expiry DX052; the same key and request replayed
-- → duplicate; the key reused for another request → DX011. No such hold → DX049.
-- The capture key is unique per tenant among captures and voids, apart from journal keys.
-- Raises DX009, DX010, DX011, DX012, DX016, DX019, DX025, DX029, DX049–DX054, DX056, DX057.
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
    v_bad record;
    v_posting ledger.posting_result;
    v_conditions jsonb := ledger_private.normalize_conditions(capture_hold.conditions);  -- DX056
BEGIN
    IF ledger_private.posting_field_problem(v_tenant, capture_hold.idempotency_key, NULL, NULL, '{}')
           IS NOT NULL THEN
        PERFORM ledger_private.check_posting_fields(v_tenant, capture_hold.idempotency_key, NULL,
                                                    NULL, '{}');
    END IF;
    v_replay := ledger_private.claim_hold_resolution(
        v_tenant, capture_hold.hold_id, capture_hold.idempotency_key, 'captured',
        ledger_private.fingerprint_of(jsonb_build_object(
            'operation', 'capture_hold', 'hold_id', capture_hold.hold_id,
            'amounts', capture_hold.amounts, 'effective_date', capture_hold.effective_date)
            || jsonb_strip_nulls(jsonb_build_object('conditions', v_conditions))),
        v_who.actor);
    IF v_replay.status IS NOT NULL THEN
        RETURN v_replay;
    END IF;

    -- The journal's legs: the hold's, with the amounts asked for.
    SELECT h.* INTO v_hold FROM ledger_private.hold AS h WHERE h.hold_id = capture_hold.hold_id;
    IF capture_hold.amounts IS NOT NULL
       AND (jsonb_typeof(capture_hold.amounts) IS DISTINCT FROM 'array'
            OR jsonb_array_length(capture_hold.amounts)
               <> (SELECT count(*) FROM ledger_private.hold_leg AS hl
                    WHERE hl.hold_id = capture_hold.hold_id)) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX053', COLUMN = 'amounts',
            MESSAGE = 'amounts: must be an array with one amount per leg of the hold',
            HINT = 'Leave amounts out to capture the whole hold.';
    END IF;
    IF capture_hold.amounts IS NULL THEN
        -- The whole hold: its legs as create_hold checked them (shape, accounts, currencies,
        -- amounts, balance); what can have changed since is checked by the posting core.
        SELECT NULL::integer AS leg_no, NULL::text AS problem,
               jsonb_agg(jsonb_build_object('account', a.code, 'side', hl.side, 'ccy', hl.ccy,
                                            'amount', hl.amount::text) ORDER BY hl.leg_no) AS legs
          INTO v_bad
          FROM ledger_private.hold_leg AS hl
          JOIN ledger_private.account AS a ON a.account_id = hl.account_id
         WHERE hl.hold_id = capture_hold.hold_id;
    ELSE
        SELECT (min(x.leg_no) FILTER (WHERE x.problem IS NOT NULL))::integer AS leg_no,
               min(x.problem) FILTER (WHERE x.leg_no = x.first_bad) AS problem,
               jsonb_agg(x.leg ORDER BY x.leg_no) FILTER (WHERE x.problem IS NULL AND NOT x.zero) AS legs
          INTO v_bad
          FROM (SELECT y.*, min(y.leg_no) FILTER (WHERE y.problem IS NOT NULL) OVER () AS first_bad
                  FROM (SELECT hl.leg_no, l.leg,
                               p.shape IS NOT DISTINCT FROM 'amount_zero' AS zero,
                               CASE WHEN p.shape = 'amount_zero' THEN NULL
                                    WHEN p.shape IS NOT NULL
                                        THEN 'must be a decimal string such as "12.50"'
                                    WHEN (l.leg ->> 'amount')::numeric > hl.amount
                                        THEN format('%s exceeds the %s held', l.leg ->> 'amount', hl.amount)
                               END AS problem
                          FROM ledger_private.hold_leg AS hl
                          JOIN ledger_private.account AS a ON a.account_id = hl.account_id
                         CROSS JOIN LATERAL (
                               SELECT jsonb_build_object(
                                          'account', a.code, 'side', hl.side, 'ccy', hl.ccy,
                                          'amount', capture_hold.amounts -> (hl.leg_no - 1)) AS leg) AS l
                         CROSS JOIN LATERAL (
                               SELECT ledger_private.leg_problem(l.leg) AS shape OFFSET 0) AS p
                         WHERE hl.hold_id = capture_hold.hold_id) AS y) AS x;
    END IF;
    IF v_bad.leg_no IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX053', COLUMN = format('amounts[%s]', v_bad.leg_no - 1),
            MESSAGE = format('amounts[%s]: %s', v_bad.leg_no - 1, v_bad.problem);
    END IF;
    IF coalesce(jsonb_array_length(v_bad.legs), 0) < 2 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX053', COLUMN = 'amounts',
            MESSAGE = 'amounts: a capture posts at least two legs',
            HINT = 'Void the hold to release all of it.';
    END IF;

    v_posting := ledger_private.post_journal_request(
        v_tenant, 'hold:' || capture_hold.hold_id, 'capture_hold', v_bad.legs,
        capture_hold.effective_date, v_hold.memo, v_hold.ref, v_hold.metadata, 'transfer', NULL,
        v_who.actor, v_conditions);
    RETURN ROW(capture_hold.hold_id, 'captured', v_posting.journal_id, v_posting.effective_date,
               now())::ledger.hold_resolution_result;
END
$$;

COMMENT ON FUNCTION ledger.capture_hold(uuid, text, jsonb, date, jsonb, text) IS
    'Posts a pending hold (whole or per-leg amounts) as a journal and releases the rest; exclusive with void and expiry';
GRANT EXECUTE ON FUNCTION ledger.capture_hold(uuid, text, jsonb, date, jsonb, text) TO doublex_api;
