-- ledger_private.record_hold_resolution_event() → trigger on ledger_private.hold_resolution:
-- queues hold.captured, hold.voided or hold.expired in the PgQ queue `doublex_events`, in
-- the resolution's own transaction.
--
-- Lean, as a capture is half of a card authorisation's hot path: it queues the hold's id
-- alone, straight through PgQ's C insert, and leaves the event id and the payload (the
-- resolution's key, a capture's journal) to the sequencer (ledger_private.event_payload),
-- as ledger_private.record_hold_event does for the hold.
-- SECURITY DEFINER: the owner's role may write to PgQ, whoever inserts the row.

CREATE OR REPLACE FUNCTION ledger_private.record_hold_resolution_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pgq.insert_event_raw(
        'doublex_events', NULL, now(), NULL, NULL, 'hold.' || NEW.outcome,
        '{"hold_id": "' || NEW.hold_id::text || '"}', NULL, NEW.tenant, NEW.resolved_by, NULL);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION ledger_private.record_hold_resolution_event() IS
    'Trigger: queues hold.captured, hold.voided or hold.expired (PgQ) in the resolution''s transaction';
