-- ledger.sequence_events: the sequencer. Moves the next PgQ batch of the queue
-- `doublex_events` into the event log with the next positions, in one transaction.
--
--   BEGIN ISOLATION LEVEL READ COMMITTED;
--   SELECT * FROM ledger.sequence_events();   → batch_id (NULL: nothing new), events, by_type, lag
--   COMMIT;
--
-- It ticks the queue itself (pgq.ticker: a tick whenever the queue holds a new event, or
-- an event that was uncommitted at the last tick has committed since), so the PgQ daemon
-- pgqd is optional, and rotates the queue's tables when due (PgQ's maintenance, in two
-- steps across two calls). A batch holds the events of the
-- transactions that committed between two ticks (their snapshots): a transaction that
-- commits late lands in a later batch, so positions follow commit order batch by batch and
-- a reader of "after P" never misses an event. Within a batch, a transaction's events stay
-- together (ordered by transaction, then insert). Each payload is completed here from the
-- committed rows (ledger_private.event_payload: legs, a capture's journal), and an event
-- queued without an id (a journal's, see ledger_private.record_journal_event) gets its
-- random id here, once: the log keeps it. One sequencer
-- at a time (an advisory lock held to commit): the positions of one batch are visible
-- before the next batch gets any.
-- lag: the age of the batch's oldest event when it was sequenced (from the start of the
-- transaction that wrote it; 0 for a batch without events); NULL when there was no batch.
-- The service runs it in the background (DOUBLEX_EVENTS_SECONDS), `doublex events pump`
-- by hand. Granted to the service's login (doublex_service) alone; the owner may call it.
-- Raises DX016 at another isolation than READ COMMITTED.

CREATE OR REPLACE FUNCTION ledger.sequence_events()
RETURNS ledger.sequencing_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_last txid_snapshot;
    v_batch bigint;
    v_result ledger.sequencing_result;
BEGIN
    PERFORM ledger_private.require_isolation(
        ARRAY['read committed'], 'sequence_events',
        'BEGIN ISOLATION LEVEL READ COMMITTED; SELECT * FROM ledger.sequence_events(); COMMIT;');
    PERFORM pg_advisory_xact_lock(hashtext('doublex.events'), 0);
    PERFORM pgq.maint_rotate_tables_step2();
    -- PgQ ticks when the queue holds events inserted since the last tick. An event inserted
    -- before that tick by a transaction still running then counts as old, so PgQ would wait
    -- for its idle tick (a minute): tick as soon as such an event has committed.
    IF pgq.ticker('doublex_events') IS NULL THEN
        SELECT t.tick_snapshot INTO v_last
          FROM pgq.tick AS t
         WHERE t.tick_queue = (SELECT q.queue_id FROM pgq.queue AS q
                                WHERE q.queue_name = 'doublex_events')
         ORDER BY t.tick_queue DESC, t.tick_id DESC
         LIMIT 1;
        IF EXISTS (SELECT FROM pgq.event_template AS e
                    WHERE e.ev_txid >= txid_snapshot_xmin(v_last)
                      AND NOT txid_visible_in_snapshot(e.ev_txid, v_last)
                      AND txid_visible_in_snapshot(e.ev_txid, txid_current_snapshot())) THEN
            PERFORM pgq.force_tick('doublex_events');
            PERFORM pgq.ticker('doublex_events');
        END IF;
    END IF;
    v_batch := pgq.next_batch('doublex_events', 'doublex_sequencer');
    IF v_batch IS NULL THEN
        RETURN ROW(NULL, 0, '{}', NULL)::ledger.sequencing_result;
    END IF;
    -- Journal events (most of a busy ledger's) get their payloads from one set-based query
    -- over the batch (event_of_journals); the other types one by one (event_payload).
    WITH batch AS MATERIALIZED (
        SELECT e.ev_id, e.ev_txid, e.ev_time, e.ev_type, e.ev_data::jsonb AS data,
               e.ev_extra1, e.ev_extra2, e.ev_extra3,
               e.ev_type IN ('journal.posted', 'journal.reversed') AS of_journal
          FROM pgq.get_batch_events(v_batch) AS e
    ), journal_payloads AS (
        SELECT p.journal_id, p.payload
          FROM ledger_private.event_of_journals(
                   ARRAY(SELECT (b.data ->> 'journal_id')::uuid FROM batch AS b WHERE b.of_journal)) AS p
    ), appended AS (
        INSERT INTO ledger_private.event (event_id, tenant, type, actor, occurred_at, txid, payload)
        SELECT coalesce(b.ev_extra1::uuid, gen_random_uuid()), b.ev_extra2, b.ev_type, b.ev_extra3,
               b.ev_time, b.ev_txid,
               CASE WHEN b.of_journal THEN b.data || jp.payload
                    ELSE ledger_private.event_payload(b.ev_extra2, b.ev_type, b.data) END
          FROM batch AS b
          LEFT JOIN journal_payloads AS jp
            ON b.of_journal AND jp.journal_id = (b.data ->> 'journal_id')::uuid
         ORDER BY b.ev_txid, b.ev_id
        RETURNING type, occurred_at
    ), per_type AS (
        SELECT a.type, count(*) AS n, min(a.occurred_at) AS oldest FROM appended AS a GROUP BY a.type
    )
    SELECT v_batch, coalesce(sum(p.n), 0)::integer, coalesce(jsonb_object_agg(p.type, p.n), '{}'),
           coalesce(clock_timestamp() - min(p.oldest), interval '0')
      INTO v_result
      FROM per_type AS p;
    PERFORM pgq.finish_batch(v_batch);
    PERFORM pgq.maint_rotate_tables_step1('doublex_events');
    RETURN v_result;
END
$$;

COMMENT ON FUNCTION ledger.sequence_events() IS
    'Sequencer: moves the next PgQ batch into the event log with commit-ordered positions';
-- The service's own login runs it periodically, without a key.
GRANT EXECUTE ON FUNCTION ledger.sequence_events() TO doublex_service;
