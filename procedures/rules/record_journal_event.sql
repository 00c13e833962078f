-- ledger_private.record_journal_event() → trigger on ledger_private.journal: queues
-- journal.posted (a transfer, an FX transfer's journal, a hold's capture) or
-- journal.reversed (kind reversal) in the PgQ queue `doublex_events`, in the posting's own
-- transaction.
--
-- The hot path's own trigger, apart from ledger_private.record_event, and as lean as it can
-- be: it queues the journal's id alone, straight through PgQ's C insert
-- (pgq.insert_event_raw, not its PL/pgSQL wrapper), and leaves the event id (ev_extra1 NULL)
-- and the payload to the sequencer, which reads the committed, append-only journal and its
-- legs (ledger_private.event_payload). Building the payload here (jsonb_build_object of the
-- header, a random uuid, the wrapper) cost about a third of the trigger; the events-on hot
-- posting bar of sql/README.md ("What events cost") is measured on this trigger. Reading the
-- legs here, at SERIALIZABLE, would also put a predicate lock on the newest page of the leg
-- index that every concurrent posting writes to.
-- SECURITY DEFINER: the owner's role may write to PgQ, whoever inserts the row.

CREATE OR REPLACE FUNCTION ledger_private.record_journal_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (queue, ev_id: the queue's sequence, ev_time, ev_owner, ev_retry, type, data,
    --  extra1: event id, extra2: tenant, extra3: actor, extra4)
    PERFORM pgq.insert_event_raw(
        'doublex_events', NULL, now(), NULL, NULL,
        CASE NEW.kind WHEN 'reversal' THEN 'journal.reversed' ELSE 'journal.posted' END,
        '{"journal_id": "' || NEW.journal_id::text || '"}', NULL, NEW.tenant, NEW.created_by, NULL);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION ledger_private.record_journal_event() IS
    'Trigger: queues journal.posted or journal.reversed (PgQ) in the posting''s transaction';
