-- ledger.sequence_events: the sequencer. Moves the next batch of events into the event log
-- with the next positions, in one transaction.
--
--   BEGIN ISOLATION LEVEL READ COMMITTED;
--   SELECT * FROM ledger.sequence_events();   → batch_id (NULL: nothing new), events, by_type, lag
--   COMMIT;
--
-- A batch is what committed between two ticks of the PgQ queue `doublex_events` (their
-- snapshots): the events queued in PgQ by the triggers (accounts, holds, FX settlements,
-- closes, keys, reconciliation runs, monitors), and the journals themselves for
-- journal.posted and journal.reversed (ledger_private.journals_between, the same snapshot
-- rule read from the journal's txid: a posting queues nothing, sql/README.md "What events
-- cost"). A transaction that commits late lands in a later batch, so positions follow
-- commit order batch by batch and a reader of "after P" never misses an event. Within a
-- batch, a transaction's events stay together: its journals first (by id: uuid v7, in time
-- order to the millisecond), then its queued events in insert order. A journal event, and a
-- hold event queued with the hold's id alone, keep only that id (subject): their payload is
-- built from the append-only rows when read (ledger_private.event_payloads), so the log
-- writes no copy of a journal's legs. Every other payload is completed here from the
-- committed rows (ledger_private.event_payload). Each event gets its random id here, once:
-- the log keeps it.
-- It ticks the queue itself (pgq.ticker, and a forced tick as soon as a journal or a queued
-- event committed since the last tick), so the PgQ daemon pgqd is optional, and rotates the
-- queue's tables when due (PgQ's maintenance, in two steps across two calls). One sequencer
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
    v_queue integer := (SELECT q.queue_id FROM pgq.queue AS q WHERE q.queue_name = 'doublex_events');
    v_last txid_snapshot;
    v_batch record;
    v_after txid_snapshot;
    v_upto txid_snapshot;
    v_result ledger.sequencing_result;
BEGIN
    PERFORM ledger_private.require_isolation(
        ARRAY['read committed'], 'sequence_events',
        'BEGIN ISOLATION LEVEL READ COMMITTED; SELECT * FROM ledger.sequence_events(); COMMIT;');
    PERFORM pg_advisory_xact_lock(hashtext('doublex.events'), 0);
    PERFORM pgq.maint_rotate_tables_step2();
    -- PgQ ticks when the queue holds events inserted since the last tick. Journals are not
    -- queued, and an event inserted before that tick by a transaction still running then
    -- counts as old (PgQ would wait for its idle tick, a minute): tick as soon as a journal
    -- or such an event has committed since the last tick.
    IF pgq.ticker('doublex_events') IS NULL THEN
        SELECT t.tick_snapshot INTO v_last
          FROM pgq.tick AS t
         WHERE t.tick_queue = v_queue
         ORDER BY t.tick_queue DESC, t.tick_id DESC
         LIMIT 1;
        IF EXISTS (SELECT FROM ledger_private.journals_between(v_last, txid_current_snapshot()))
           OR EXISTS (SELECT FROM pgq.event_template AS e
                       WHERE e.ev_txid >= txid_snapshot_xmin(v_last)
                         AND NOT txid_visible_in_snapshot(e.ev_txid, v_last)
                         AND txid_visible_in_snapshot(e.ev_txid, txid_current_snapshot())) THEN
            PERFORM pgq.force_tick('doublex_events');
            PERFORM pgq.ticker('doublex_events');
        END IF;
    END IF;
    SELECT b.batch_id, b.prev_tick_id, b.cur_tick_id INTO v_batch
      FROM pgq.next_batch_info('doublex_events', 'doublex_sequencer') AS b;
    IF v_batch.batch_id IS NULL THEN
        RETURN ROW(NULL, 0, '{}', NULL)::ledger.sequencing_result;
    END IF;
    SELECT t.tick_snapshot INTO v_after FROM pgq.tick AS t
     WHERE t.tick_queue = v_queue AND t.tick_id = v_batch.prev_tick_id;
    SELECT t.tick_snapshot INTO v_upto FROM pgq.tick AS t
     WHERE t.tick_queue = v_queue AND t.tick_id = v_batch.cur_tick_id;
    WITH journals AS MATERIALIZED (
        SELECT j.* FROM ledger_private.journals_between(v_after, v_upto) AS j
    ), queued AS MATERIALIZED (
        -- lean: what the hold triggers queue, the hold's id alone (an earlier version's
        -- queued the whole row, which the log keeps completed as before)
        SELECT q.*, (q.ev_type IN ('hold.created', 'hold.captured', 'hold.voided', 'hold.expired')
                     AND q.data = jsonb_build_object('hold_id', q.data -> 'hold_id')) AS lean
          FROM (
              -- journal.* events queued by an earlier version's trigger are read from the journals
              SELECT e.ev_id, e.ev_txid, e.ev_time, e.ev_type, e.ev_data::jsonb AS data,
                     e.ev_extra1, e.ev_extra2, e.ev_extra3
                FROM pgq.get_batch_events(v_batch.batch_id) AS e
               WHERE e.ev_type NOT IN ('journal.posted', 'journal.reversed')
          ) AS q
    ), batch AS (
        -- A journal event keeps its journal's id, a hold event queued with the hold's id
        -- alone keeps that id: their readers build the payload (ledger_private.event_payloads).
        SELECT j.txid, 0 AS source, NULL::bigint AS ev_id, j.journal_id, gen_random_uuid() AS event_id,
               j.tenant, j.type, j.created_by AS actor, j.created_at AS occurred_at,
               j.journal_id AS subject, NULL::jsonb AS payload
          FROM journals AS j
        UNION ALL
        SELECT q.ev_txid, 1, q.ev_id, NULL, coalesce(q.ev_extra1::uuid, gen_random_uuid()),
               q.ev_extra2, q.ev_type, q.ev_extra3, q.ev_time,
               CASE WHEN q.lean THEN (q.data ->> 'hold_id')::uuid END,
               CASE WHEN NOT q.lean THEN ledger_private.event_payload(q.ev_extra2, q.ev_type, q.data) END
          FROM queued AS q
    ), appended AS (
        INSERT INTO ledger_private.event (event_id, tenant, type, actor, occurred_at, txid, subject, payload)
        SELECT b.event_id, b.tenant, b.type, b.actor, b.occurred_at, b.txid, b.subject, b.payload
          FROM batch AS b
         ORDER BY b.txid, b.source, b.journal_id, b.ev_id
        RETURNING type, occurred_at
    ), per_type AS (
        SELECT a.type, count(*) AS n, min(a.occurred_at) AS oldest FROM appended AS a GROUP BY a.type
    )
    SELECT v_batch.batch_id, coalesce(sum(p.n), 0)::integer, coalesce(jsonb_object_agg(p.type, p.n), '{}'),
           coalesce(clock_timestamp() - min(p.oldest), interval '0')
      INTO v_result
      FROM per_type AS p;
    PERFORM pgq.finish_batch(v_batch.batch_id);
    PERFORM pgq.maint_rotate_tables_step1('doublex_events');
    RETURN v_result;
END
$$;

COMMENT ON FUNCTION ledger.sequence_events() IS
    'Sequencer: moves the next batch (PgQ events and journals) into the event log with commit-ordered positions';
-- The service's own login runs it periodically, without a key.
GRANT EXECUTE ON FUNCTION ledger.sequence_events() TO doublex_service;
