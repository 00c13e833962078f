-- ledger_private.record_hold_event() → trigger on ledger_private.hold: queues hold.created
-- in the PgQ queue `doublex_events`, in the hold's own transaction.
--
-- Lean, as a hold is half of a card authorisation's hot path: it queues the hold's id
-- alone, straight through PgQ's C insert (pgq.insert_event_raw), and leaves the event id
-- (ev_extra1 NULL) and the payload (the hold's fields and legs) to the sequencer, which
-- reads the committed, append-only rows (ledger_private.event_payload). Going through
-- ledger_private.record_event (to_jsonb, jsonb_populate_record, SQL functions planned per
-- call) cost about 190 µs of a hold (migration 0024).
-- SECURITY DEFINER: the owner's role may write to PgQ, whoever inserts the row.

CREATE OR REPLACE FUNCTION ledger_private.record_hold_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (queue, ev_id: the queue's sequence, ev_time, ev_owner, ev_retry, type, data,
    --  extra1: event id, extra2: tenant, extra3: actor, extra4)
    PERFORM pgq.insert_event_raw(
        'doublex_events', NULL, now(), NULL, NULL, 'hold.created',
        '{"hold_id": "' || NEW.hold_id::text || '"}', NULL, NEW.tenant, NEW.created_by, NULL);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION ledger_private.record_hold_event() IS
    'Trigger: queues hold.created (PgQ) in the hold''s transaction';
