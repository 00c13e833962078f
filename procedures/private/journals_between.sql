-- ledger_private.journals_between(after, upto) → the journals whose transactions committed
-- between two snapshots: visible in `upto`, not in `after`; with the type of their event
-- (journal.reversed for a reversal, else journal.posted). The journal.posted and
-- journal.reversed events of a sequencer batch (ledger.sequence_events) are these journals,
-- between the batch's two PgQ ticks: the same rule PgQ applies to its own event tables, read
-- from the journal itself (its txid, stamped by ledger_private.journal_before_insert, by the
-- index journal_by_txid) instead of from a copy queued by the posting. A journal whose
-- transaction commits late is not visible in a tick taken while it ran, so it lands in a
-- later batch: never missed, never twice.

CREATE OR REPLACE FUNCTION ledger_private.journals_between(p_after txid_snapshot, p_upto txid_snapshot)
RETURNS TABLE (journal_id uuid, txid bigint, type text, tenant text, created_by text,
               created_at timestamptz)
LANGUAGE sql STABLE
AS $$
    SELECT j.journal_id, j.txid,
           CASE j.kind WHEN 'reversal' THEN 'journal.reversed' ELSE 'journal.posted' END,
           j.tenant, j.created_by, j.created_at
      FROM ledger_private.journal AS j
     WHERE j.txid >= txid_snapshot_xmin(p_after) AND j.txid < txid_snapshot_xmax(p_upto)
       AND txid_visible_in_snapshot(j.txid, p_upto)
       AND NOT txid_visible_in_snapshot(j.txid, p_after)
$$;

COMMENT ON FUNCTION ledger_private.journals_between(txid_snapshot, txid_snapshot) IS
    'Journals whose transactions committed between two snapshots (a sequencer batch''s journal events)';
