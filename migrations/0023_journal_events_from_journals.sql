-- Journal events read from the journals (issue #18's hot-path bar): a posting no longer
-- queues a copy of its journal in PgQ. The sequencer (ledger.sequence_events) takes a
-- batch's journal.posted / journal.reversed events from the journals whose transactions
-- committed between the batch's two PgQ ticks (ledger_private.journals_between), by the
-- txid every journal carries. The trigger cost about 6% of a hot posting (pgq.insert_event_raw
-- per journal); the index costs an entry per journal.
--
-- 1. The trigger journal_event and its function go (procedures/rules/record_journal_event.sql
--    is gone with them).
-- 2. journal_by_txid: the sequencer's range scan from a tick's xmin.
-- Building the index takes a SHARE lock on ledger_private.journal: postings wait for the
-- build (seconds per few million journals), as for any migration that yoyo runs in one
-- transaction.
-- depends: 0022_balance_monitors

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DROP TRIGGER journal_event ON ledger_private.journal;
-- A private trigger function: no client calls it.
-- squawk-ignore ban-drop-function
DROP FUNCTION ledger_private.record_journal_event();
-- squawk-ignore require-concurrent-index-creation
CREATE INDEX journal_by_txid ON ledger_private.journal (txid);
RESET ROLE;
