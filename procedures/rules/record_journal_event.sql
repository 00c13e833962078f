-- ledger_private.record_journal_event() → trigger on ledger_private.journal: queues
-- journal.posted (a transfer, an FX transfer's journal, a hold's capture) or
-- journal.reversed (kind reversal, naming the journal it reverses) in the PgQ queue
-- `doublex_events`, in the posting's own transaction.
--
-- The hot path's own trigger, apart from ledger_private.record_event: it reads NEW's fields
-- directly. Going through record_event (to_jsonb(NEW), jsonb_populate_record and two SQL
-- functions planned on every call) cost 17% of a single-client hot posting; this costs 8%:
-- pgbench -c 1, hot.sql, trigger enabled against disabled, 3 alternating rounds. It queues
-- the journal's header only; the sequencer adds the legs (ledger_private.event_payload)
-- from the committed, append-only rows. Reading the legs here, at SERIALIZABLE, would put a predicate lock on the newest
-- page of the leg index that every concurrent posting writes to.
-- SECURITY DEFINER: the owner's role may write to PgQ, whoever inserts the row.

CREATE OR REPLACE FUNCTION ledger_private.record_journal_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pgq.insert_event(
        'doublex_events',
        CASE NEW.kind WHEN 'reversal' THEN 'journal.reversed' ELSE 'journal.posted' END,
        jsonb_build_object(
            'journal_id', NEW.journal_id, 'kind', NEW.kind, 'idempotency_key', NEW.idempotency_key,
            'effective_date', NEW.effective_date, 'memo', NEW.memo, 'ref', NEW.ref,
            'metadata', NEW.metadata, 'reverses', NEW.reverses)::text,
        gen_random_uuid()::text, NEW.tenant, NEW.created_by, NULL);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION ledger_private.record_journal_event() IS
    'Trigger: queues journal.posted or journal.reversed (PgQ) in the posting''s transaction';
