-- ledger_private.event_of_hold(hold): hold.created with the legs it reserves (account code,
-- side, amount as a string, currency). Called at commit (the deferred trigger hold_event),
-- when the hold legs are all written.

CREATE OR REPLACE FUNCTION ledger_private.event_of_hold(p ledger_private.hold)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT ledger_private.emit_event(
        p.tenant, 'hold.created', p.created_by,
        jsonb_build_object(
            'hold_id', p.hold_id, 'idempotency_key', p.idempotency_key,
            'expires_at', p.expires_at, 'memo', p.memo, 'ref', p.ref, 'metadata', p.metadata,
            'legs', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                         'leg_no', hl.leg_no, 'account', a.code, 'side', hl.side,
                                         'amount', hl.amount::text, 'ccy', hl.ccy)
                                     ORDER BY hl.leg_no), '[]')
                       FROM ledger_private.hold_leg AS hl
                       JOIN ledger_private.account AS a ON a.account_id = hl.account_id
                      WHERE hl.hold_id = p.hold_id)));
$$;

COMMENT ON FUNCTION ledger_private.event_of_hold(ledger_private.hold) IS
    'Queues hold.created, with the legs';
