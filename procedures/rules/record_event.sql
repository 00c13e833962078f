-- ledger_private.record_event() → trigger: writes the event of a change into the PgQ queue
-- `doublex_events`, in the transaction of the change, so an event exists iff its change
-- committed. One function for every table (the triggers of migrations/0021_events.sql);
-- each table's event is built by its ledger_private.event_of_* helper. Deferred (at commit)
-- on journals, holds and hold resolutions, whose events carry the legs or the capture's
-- journal written after the row. SECURITY DEFINER (the owner's, who may write to PgQ): a
-- deferred trigger fires at COMMIT, after the API function returned, as the caller's role.

CREATE OR REPLACE FUNCTION ledger_private.record_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    CASE TG_TABLE_NAME
        WHEN 'journal' THEN PERFORM ledger_private.event_of_journal(NEW);
        WHEN 'fx_settlement' THEN PERFORM ledger_private.event_of_fx_settlement(NEW);
        WHEN 'hold' THEN PERFORM ledger_private.event_of_hold(NEW);
        WHEN 'hold_resolution' THEN PERFORM ledger_private.event_of_hold_resolution(NEW);
        WHEN 'account' THEN PERFORM ledger_private.event_of_account(OLD, NEW);
        WHEN 'day_close' THEN PERFORM ledger_private.event_of_day_close(NEW);
        WHEN 'api_key' THEN PERFORM ledger_private.event_of_api_key(OLD, NEW);
        WHEN 'audit_log' THEN PERFORM ledger_private.event_of_audit(NEW);
    END CASE;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION ledger_private.record_event() IS
    'Trigger: queues the event of a change (PgQ) in the transaction of the change';
