-- ledger_private.event_of_hold_resolution(resolution): hold.captured (with the capture's
-- journal, key hold:<hold_id>), hold.voided or hold.expired. Called at commit (the deferred
-- trigger hold_resolution_event), when the capture's journal is written.

CREATE OR REPLACE FUNCTION ledger_private.event_of_hold_resolution(p ledger_private.hold_resolution)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT ledger_private.emit_event(
        p.tenant, 'hold.' || p.outcome, p.resolved_by,
        jsonb_build_object(
            'hold_id', p.hold_id, 'idempotency_key', p.idempotency_key,
            'journal_id', (SELECT s.journal_id FROM ledger_private.idempotency_sentinel AS s
                            WHERE p.outcome = 'captured' AND s.tenant = p.tenant
                              AND s.idempotency_key = 'hold:' || p.hold_id)));
$$;

COMMENT ON FUNCTION ledger_private.event_of_hold_resolution(ledger_private.hold_resolution) IS
    'Queues hold.captured, hold.voided or hold.expired';
