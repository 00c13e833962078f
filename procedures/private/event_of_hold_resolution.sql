-- ledger_private.event_of_hold_resolution(resolution row): hold.captured, hold.voided or
-- hold.expired. The sequencer adds a capture's journal (key hold:<hold_id>;
-- ledger_private.event_payload).

CREATE OR REPLACE FUNCTION ledger_private.event_of_hold_resolution(p_row jsonb)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT ledger_private.emit_event(
        p.tenant, 'hold.' || p.outcome, p.resolved_by,
        jsonb_build_object('hold_id', p.hold_id, 'idempotency_key', p.idempotency_key))
      FROM jsonb_populate_record(NULL::ledger_private.hold_resolution, p_row) AS p;
$$;

COMMENT ON FUNCTION ledger_private.event_of_hold_resolution(jsonb) IS
    'Queues hold.captured, hold.voided or hold.expired (the sequencer adds a capture''s journal)';
