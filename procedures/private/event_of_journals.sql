-- ledger_private.event_of_journals(journal_ids) → (journal_id, payload): the payload of the
-- journal.posted / journal.reversed event of each journal: its header and its legs. One
-- set-based query for a whole page of events (ledger_private.event_payloads, when a reader
-- reads them: the log keeps the journal's id alone), instead of a query per event;
-- ledger_private.event_payload asks it for one journal. Journals and legs are append-only
-- and an account's code never changes, so it reads exactly what committed with the event.

CREATE OR REPLACE FUNCTION ledger_private.event_of_journals(p_journal_ids uuid[])
RETURNS TABLE (journal_id uuid, payload jsonb)
LANGUAGE sql STABLE
AS $$
    SELECT j.journal_id,
           jsonb_build_object(
               'journal_id', j.journal_id, 'kind', j.kind, 'idempotency_key', j.idempotency_key,
               'effective_date', j.effective_date, 'memo', j.memo, 'ref', j.ref,
               'metadata', j.metadata, 'reverses', j.reverses,
               'legs', jsonb_agg(ledger_private.event_leg(l.leg_no, a.code, l.side, l.amount, l.ccy)
                                 ORDER BY l.leg_no))
      FROM ledger_private.journal AS j
      JOIN ledger_private.leg AS l ON l.journal_id = j.journal_id
      JOIN ledger_private.account AS a ON a.account_id = l.account_id
     WHERE j.journal_id = ANY (p_journal_ids)
     GROUP BY j.journal_id
$$;

COMMENT ON FUNCTION ledger_private.event_of_journals(uuid[]) IS
    'Payloads of journal events (header and legs), set-based for a sequencer batch';
