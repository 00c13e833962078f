-- ledger_private.record_event() → trigger: writes the event of a change into the PgQ queue
-- `doublex_events`, in the transaction of the change, so an event exists iff its change
-- committed. One function for the tables of migrations/0020_events.sql but three: journals
-- queue nothing (the sequencer reads them, ledger_private.journals_between), holds and hold
-- resolutions have their own lean triggers (record_hold_event, record_hold_resolution_event,
-- migration 0024); each table's event is
-- built by its ledger_private.event_of_* helper, which gets the row as jsonb (one call
-- shape for every table, so plpgsql_check can check every branch). The sequencer completes
-- the payloads that need more (ledger_private.event_payload).
-- SECURITY DEFINER: the owner's role may write to PgQ, whoever inserts the row.

CREATE OR REPLACE FUNCTION ledger_private.record_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    CASE TG_TABLE_NAME
        WHEN 'fx_settlement' THEN PERFORM ledger_private.event_of_fx_settlement(to_jsonb(NEW));
        WHEN 'account' THEN PERFORM ledger_private.event_of_account(to_jsonb(OLD), to_jsonb(NEW));
        WHEN 'day_close' THEN PERFORM ledger_private.event_of_day_close(to_jsonb(NEW));
        WHEN 'api_key' THEN PERFORM ledger_private.event_of_api_key(to_jsonb(OLD), to_jsonb(NEW));
        WHEN 'audit_log' THEN PERFORM ledger_private.event_of_audit(to_jsonb(NEW));
    END CASE;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION ledger_private.record_event() IS
    'Trigger: queues the event of a change (PgQ) in the transaction of the change';
