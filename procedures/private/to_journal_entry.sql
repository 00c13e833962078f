-- ledger_private.to_journal_entry(journal): the API's view of a journal: its legs in order
-- (amounts as exact strings), the reversal that undid it if any, and its page cursor.

CREATE OR REPLACE FUNCTION ledger_private.to_journal_entry(p_journal ledger_private.journal)
RETURNS ledger.journal_entry
LANGUAGE sql STABLE
AS $$
    SELECT ROW(
        p_journal.journal_id, p_journal.idempotency_key, p_journal.kind, p_journal.effective_date,
        p_journal.created_at, p_journal.memo, p_journal.ref, p_journal.metadata, p_journal.reverses,
        (SELECT r.journal_id FROM ledger_private.journal AS r WHERE r.reverses = p_journal.journal_id),
        (SELECT jsonb_agg(jsonb_build_object(
                    'leg_no', l.leg_no, 'account', a.code, 'side', l.side,
                    'amount', l.amount::text, 'ccy', l.ccy) ORDER BY l.leg_no)
           FROM ledger_private.leg AS l
           JOIN ledger_private.account AS a ON a.account_id = l.account_id
          WHERE l.journal_id = p_journal.journal_id),
        p_journal.effective_date::text || '_' || p_journal.journal_id::text
    )::ledger.journal_entry
$$;

COMMENT ON FUNCTION ledger_private.to_journal_entry(ledger_private.journal) IS
    'The API view of a journal with its legs';
