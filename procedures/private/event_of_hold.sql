-- ledger_private.event_of_hold(hold row): hold.created. The sequencer adds the legs it
-- reserves (ledger_private.event_payload), as for journals.

CREATE OR REPLACE FUNCTION ledger_private.event_of_hold(p_row jsonb)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT ledger_private.emit_event(
        p.tenant, 'hold.created', p.created_by,
        jsonb_build_object(
            'hold_id', p.hold_id, 'idempotency_key', p.idempotency_key,
            'expires_at', p.expires_at, 'memo', p.memo, 'ref', p.ref, 'metadata', p.metadata))
      FROM jsonb_populate_record(NULL::ledger_private.hold, p_row) AS p;
$$;

COMMENT ON FUNCTION ledger_private.event_of_hold(jsonb) IS
    'Queues hold.created (the sequencer adds the legs)';
