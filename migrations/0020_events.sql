-- Events (issue #18, part one): a transactional change stream.
--
-- 1. PgQ (the `pgq` extension, Debian postgresql-NN-pgq3) is the queue every change writes
--    its event into, in the transaction of the change (pgq.insert_event). A queue's batches
--    are cut by ticks, each a snapshot: an event belongs to the first batch whose snapshot
--    sees its transaction committed, so an event whose transaction commits late lands in a
--    later batch, whatever its insert order.
-- 2. ledger_private.event: the sequenced log. The sequencer (ledger.sequence_events: the
--    service's background task, `doublex events pump`) ticks, takes the next batch of the
--    consumer `doublex_sequencer`, appends its events with the next positions and finishes
--    the batch, one batch per transaction, one sequencer at a time. Positions are so
--    assigned in commit order and never become visible out of order: a reader of
--    "position > P" never misses an event. Append-only like the history (DX017).
-- 3. The triggers that write events: ledger_private.record_event (procedures/rules/) on
--    journals, FX settlements, holds, hold resolutions, accounts, closes, keys and the audit
--    lines of reconciliation runs. What an event needs beyond its row (a journal's or a
--    hold's legs, a capture's journal) the sequencer adds from the committed rows: read in
--    the posting transaction, at SERIALIZABLE, the legs would conflict with every posting.
--
-- CREATE EXTENSION pgq needs a superuser (its control file says `superuser = true`). A
-- migrator that is not one finds the extension already created (and pgq_admin granted to
-- doublex_owner) by a superuser, or stops here saying what to run.
-- depends: 0019_open_holds_and_pending_at_close

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'pgq') THEN
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_available_extensions WHERE name = 'pgq') THEN
            RAISE EXCEPTION 'the event log needs the PgQ extension, which this server lacks'
                USING HINT = 'Install postgresql-<version>-pgq3 (make deps), then migrate again.';
        END IF;
        IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user) THEN
            RAISE EXCEPTION 'CREATE EXTENSION pgq needs a superuser; % is not one', current_user
                USING HINT = format('A superuser runs in database %I: CREATE EXTENSION pgq; '
                                    'GRANT pgq_admin TO doublex_owner; then migrate again.',
                                    current_database());
        END IF;
        CREATE EXTENSION pgq;
    END IF;
    IF NOT pg_catalog.pg_has_role('doublex_owner', 'pgq_admin', 'MEMBER') THEN
        GRANT pgq_admin TO doublex_owner;
    END IF;
END
$$;

SET LOCAL ROLE doublex_owner;

-- The queue, ticked whenever it holds a new event (ticker_max_count 1), and its one consumer.
DO $$
BEGIN
    PERFORM pgq.create_queue('doublex_events');
    PERFORM pgq.set_queue_config('doublex_events', 'ticker_max_count', '1');
    PERFORM pgq.set_queue_config('doublex_events', 'ticker_max_lag', '0');
    PERFORM pgq.register_consumer('doublex_events', 'doublex_sequencer');
END
$$;

CREATE TABLE ledger_private.event (
    position     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     uuid NOT NULL,
    tenant       text NOT NULL,
    type         text NOT NULL,
    actor        text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    sequenced_at timestamptz NOT NULL DEFAULT now(),
    txid         bigint NOT NULL,
    payload      jsonb NOT NULL,
    CONSTRAINT event_id_unique UNIQUE (event_id),
    CONSTRAINT event_payload_object CHECK (jsonb_typeof(payload) = 'object')
);
-- A tenant's reader pages by position.
CREATE INDEX event_by_tenant ON ledger_private.event (tenant, position);

CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON ledger_private.event
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON ledger_private.event
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();

-- The one trigger function; each table's event is built by its ledger_private.event_of_*
-- helper (re-applied from procedures/private/). The real body, the one in procedures/rules/.
CREATE FUNCTION ledger_private.record_event() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    CASE TG_TABLE_NAME
        WHEN 'fx_settlement' THEN PERFORM ledger_private.event_of_fx_settlement(to_jsonb(NEW));
        WHEN 'hold' THEN PERFORM ledger_private.event_of_hold(to_jsonb(NEW));
        WHEN 'hold_resolution' THEN PERFORM ledger_private.event_of_hold_resolution(to_jsonb(NEW));
        WHEN 'account' THEN PERFORM ledger_private.event_of_account(to_jsonb(OLD), to_jsonb(NEW));
        WHEN 'day_close' THEN PERFORM ledger_private.event_of_day_close(to_jsonb(NEW));
        WHEN 'api_key' THEN PERFORM ledger_private.event_of_api_key(to_jsonb(OLD), to_jsonb(NEW));
        WHEN 'audit_log' THEN PERFORM ledger_private.event_of_audit(to_jsonb(NEW));
    END CASE;
    RETURN NULL;
END
$$;

-- The journal's own trigger function (the hot path; the real body, the one in
-- procedures/rules/record_journal_event.sql).
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
CREATE TRIGGER fx_settlement_event AFTER INSERT ON ledger_private.fx_settlement
    FOR EACH ROW EXECUTE FUNCTION ledger_private.record_event();
CREATE TRIGGER hold_event AFTER INSERT ON ledger_private.hold
    FOR EACH ROW EXECUTE FUNCTION ledger_private.record_event();
CREATE TRIGGER hold_resolution_event AFTER INSERT ON ledger_private.hold_resolution
    FOR EACH ROW EXECUTE FUNCTION ledger_private.record_event();
CREATE TRIGGER account_created_event AFTER INSERT ON ledger_private.account
    FOR EACH ROW EXECUTE FUNCTION ledger_private.record_event();
CREATE TRIGGER account_changed_event AFTER UPDATE ON ledger_private.account
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.min_balance IS DISTINCT FROM NEW.min_balance
          OR OLD.max_balance IS DISTINCT FROM NEW.max_balance
          OR OLD.allow_negative IS DISTINCT FROM NEW.allow_negative
          OR OLD.max_leg_amount IS DISTINCT FROM NEW.max_leg_amount)
    EXECUTE FUNCTION ledger_private.record_event();
CREATE TRIGGER day_close_event AFTER INSERT ON ledger_private.day_close
    FOR EACH ROW EXECUTE FUNCTION ledger_private.record_event();
CREATE TRIGGER api_key_created_event AFTER INSERT ON ledger_private.api_key
    FOR EACH ROW EXECUTE FUNCTION ledger_private.record_event();
CREATE TRIGGER api_key_revoked_event AFTER UPDATE ON ledger_private.api_key
    FOR EACH ROW WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
    EXECUTE FUNCTION ledger_private.record_event();
-- A reconciliation run's audit line names its actor and run (the run's row has no actor).
CREATE TRIGGER recon_finished_event AFTER INSERT ON ledger_private.audit_log
    FOR EACH ROW WHEN (NEW.action = 'recon_run')
    EXECUTE FUNCTION ledger_private.record_event();

-- The API's result types.
CREATE TYPE ledger.event_info AS (
    position    bigint,
    event_id    uuid,
    type        text,
    actor       text,
    occurred_at timestamptz,
    payload     jsonb
);
COMMENT ON TYPE ledger.event_info IS 'An event of the tenant''s log, at its commit-ordered position';

CREATE TYPE ledger.sequencing_result AS (
    batch_id bigint,
    events   integer,
    by_type  jsonb,
    lag      interval
);
COMMENT ON TYPE ledger.sequencing_result IS
    'One sequenced batch (NULL when none was ready), its events (in all and per type), and the age of its oldest event';

RESET ROLE;
