-- ledger_private.event_of_journal(journal): journal.posted (a transfer, an FX leg's journal, a
-- hold's capture) or journal.reversed (kind reversal, naming the journal it reverses), with
-- its legs (account code, side, amount as a string, currency). Called at commit (the
-- deferred trigger journal_event), when the legs are all written.

CREATE OR REPLACE FUNCTION ledger_private.event_of_journal(p ledger_private.journal)
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
            'metadata', p.metadata, 'reverses', p.reverses,
            'legs', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                         'leg_no', l.leg_no, 'account', a.code, 'side', l.side,
                                         'amount', l.amount::text, 'ccy', l.ccy)
                                     ORDER BY l.leg_no), '[]')
                       FROM ledger_private.leg AS l
                       JOIN ledger_private.account AS a ON a.account_id = l.account_id
                      WHERE l.journal_id = p.journal_id)));
$$;

COMMENT ON FUNCTION ledger_private.event_of_journal(ledger_private.journal) IS
    'Queues journal.posted or journal.reversed, with the legs';
