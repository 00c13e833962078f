-- ledger_private.event_of_journal(journal row): journal.posted (a transfer, an FX transfer's
-- journal, a hold's capture) or journal.reversed (kind reversal, naming the journal it
-- reverses). The posting transaction queues the journal's header only; the sequencer adds
-- its legs (ledger_private.event_payload) from the committed, append-only rows. Reading
-- the legs here, at SERIALIZABLE, would put a predicate lock on the newest page of the leg
-- index that every concurrent posting writes to: serialization failures on hot accounts.

CREATE OR REPLACE FUNCTION ledger_private.event_of_journal(p_row jsonb)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT ledger_private.emit_event(
        p.tenant,
        CASE p.kind WHEN 'reversal' THEN 'journal.reversed' ELSE 'journal.posted' END,
        p.created_by,
        jsonb_build_object(
            'journal_id', p.journal_id, 'kind', p.kind, 'idempotency_key', p.idempotency_key,
            'effective_date', p.effective_date, 'memo', p.memo, 'ref', p.ref,
            'metadata', p.metadata, 'reverses', p.reverses))
      FROM jsonb_populate_record(NULL::ledger_private.journal, p_row) AS p;
$$;

COMMENT ON FUNCTION ledger_private.event_of_journal(jsonb) IS
    'Queues journal.posted or journal.reversed (the sequencer adds the legs)';
