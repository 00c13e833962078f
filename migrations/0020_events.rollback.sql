-- Roll back 0020_events: the event triggers and their function, the event log, the result
-- types (with the functions that return them), the queue and the PgQ extension (dropping it
-- needs its owner, the superuser who created it).

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
DROP TRIGGER journal_event ON ledger_private.journal;
DROP TRIGGER fx_settlement_event ON ledger_private.fx_settlement;
DROP TRIGGER hold_event ON ledger_private.hold;
DROP TRIGGER hold_resolution_event ON ledger_private.hold_resolution;
DROP TRIGGER account_created_event ON ledger_private.account;
DROP TRIGGER account_changed_event ON ledger_private.account;
DROP TRIGGER day_close_event ON ledger_private.day_close;
DROP TRIGGER api_key_created_event ON ledger_private.api_key;
DROP TRIGGER api_key_revoked_event ON ledger_private.api_key;
DROP TRIGGER recon_finished_event ON ledger_private.audit_log;
DROP FUNCTION IF EXISTS ledger_private.record_event();
DROP FUNCTION IF EXISTS ledger_private.record_journal_event();
-- The helpers of procedures/ that take a table's row type (a dependency on the table).
DROP FUNCTION IF EXISTS ledger_private.account_limits_json(ledger_private.account);
DROP TABLE ledger_private.event;
DROP TYPE IF EXISTS ledger.event_info CASCADE;
DROP TYPE IF EXISTS ledger.sequencing_result CASCADE;
DO $$
BEGIN
    PERFORM pgq.unregister_consumer('doublex_events', 'doublex_sequencer');
    PERFORM pgq.drop_queue('doublex_events');
END
$$;
RESET ROLE;
-- Migration 0020 created it (or a superuser did for it): before 0020 the database has none.
-- squawk-ignore ban-drop-extension
DROP EXTENSION IF EXISTS pgq;
