-- Lean event triggers for holds and their resolutions (issue #17's hold + capture bar): a
-- hold and its capture each queued their event through ledger_private.record_event
-- (to_jsonb of the row, jsonb_populate_record, SQL functions planned on every call), about
-- 190 µs of each. Their own triggers queue the hold's id alone through PgQ's C insert; the
-- sequencer completes the payload from the committed rows (ledger_private.event_payload).
--
-- The two trigger functions are created here with their real bodies, the ones in
-- procedures/rules/ (post-apply re-applies them); the triggers keep their names.
-- depends: 0023_journal_events_from_journals

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

CREATE FUNCTION ledger_private.record_hold_event() RETURNS trigger
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

CREATE FUNCTION ledger_private.record_hold_resolution_event() RETURNS trigger
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

CREATE OR REPLACE TRIGGER hold_event AFTER INSERT ON ledger_private.hold
    FOR EACH ROW EXECUTE FUNCTION ledger_private.record_hold_event();
CREATE OR REPLACE TRIGGER hold_resolution_event AFTER INSERT ON ledger_private.hold_resolution
    FOR EACH ROW EXECUTE FUNCTION ledger_private.record_hold_resolution_event();
RESET ROLE;
