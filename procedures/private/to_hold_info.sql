-- ledger_private.to_hold_info(hold_id) → ledger.hold_info: a hold as the API answers it:
-- status pending (unresolved, not past expires_at), captured, voided or expired (resolved
-- by the sweep, or past expires_at without a resolution); its legs as sent (account code,
-- side, amount, ccy); the capture's journal (key hold:<hold_id>) and who resolved it when.

CREATE OR REPLACE FUNCTION ledger_private.to_hold_info(p_hold_id uuid)
RETURNS ledger.hold_info
LANGUAGE sql STABLE
AS $$
    SELECT ROW(h.hold_id,
               CASE WHEN r.outcome IS NOT NULL THEN r.outcome
                    WHEN ledger_private.hold_is_live(h.expires_at) THEN 'pending'
                    ELSE 'expired' END,
               h.expires_at, h.memo, h.ref, h.metadata,
               (SELECT jsonb_agg(jsonb_build_object('account', a.code, 'side', hl.side,
                                                    'amount', hl.amount::text, 'ccy', hl.ccy)
                                 ORDER BY hl.leg_no)
                  FROM ledger_private.hold_leg AS hl
                  JOIN ledger_private.account AS a ON a.account_id = hl.account_id
                 WHERE hl.hold_id = h.hold_id),
               h.created_at, h.created_by,
               (SELECT s.journal_id FROM ledger_private.idempotency_sentinel AS s
                 WHERE r.outcome = 'captured' AND s.tenant = h.tenant
                   AND s.idempotency_key = 'hold:' || h.hold_id),
               r.resolved_at, r.resolved_by)::ledger.hold_info
      FROM ledger_private.hold AS h
      LEFT JOIN ledger_private.hold_resolution AS r ON r.hold_id = h.hold_id
     WHERE h.hold_id = p_hold_id
$$;

COMMENT ON FUNCTION ledger_private.to_hold_info(uuid) IS
    'A hold with its status, legs, capture journal and resolution, as the API answers it';
