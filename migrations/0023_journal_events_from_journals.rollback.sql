-- Roll back 0023_journal_events_from_journals: the journal's event trigger again (with the
-- function body 0020 created), and no txid index. Run the previous version's
-- procedures/ after it (its sequencer reads journal events from PgQ again).

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
-- yoyo runs the rollback in one transaction, where CONCURRENTLY cannot run.
-- squawk-ignore require-concurrent-index-deletion
DROP INDEX ledger_private.journal_by_txid;
CREATE FUNCTION ledger_private.record_journal_event() RETURNS trigger
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
CREATE TRIGGER journal_event AFTER INSERT ON ledger_private.journal
    FOR EACH ROW EXECUTE FUNCTION ledger_private.record_journal_event();
RESET ROLE;
