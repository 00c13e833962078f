-- ledger_private.event_payloads(positions) → (event_position, payload): the payloads of these
-- events of the log as their readers get them (ledger.list_events, and through it the SSE
-- stream; ledger.claim_webhook_events). An event stored with its payload gives it as
-- stored. One stored without (the sequencer keeps only its subject, migrations/0027) gets
-- it built from the rows the sequencer built it from before: a journal event's header and
-- legs (ledger_private.event_of_journals, one query for every journal asked for), a hold
-- event's fields, legs, key and capture journal (ledger_private.event_payload, from the
-- hold's id, what the hold's triggers queue). Those rows are append-only and an account's
-- code never changes, so the payload is the same at any time after the event committed.
-- A position not in the log gives no row.

CREATE OR REPLACE FUNCTION ledger_private.event_payloads(p_positions bigint[])
RETURNS TABLE (event_position bigint, payload jsonb)
LANGUAGE sql STABLE
AS $$
    WITH events AS MATERIALIZED (
        SELECT e.position, e.tenant, e.type, e.subject, e.payload
          FROM ledger_private.event AS e
         WHERE e.position = ANY (p_positions)
    ), journals AS MATERIALIZED (
        SELECT j.journal_id, j.payload
          FROM ledger_private.event_of_journals(ARRAY(
                   SELECT e.subject FROM events AS e
                    WHERE e.payload IS NULL AND e.type IN ('journal.posted', 'journal.reversed'))) AS j
    )
    SELECT e.position,
           CASE WHEN e.payload IS NOT NULL THEN e.payload
                WHEN j.journal_id IS NOT NULL THEN j.payload
                ELSE ledger_private.event_payload(e.tenant, e.type, jsonb_build_object('hold_id', e.subject))
           END
      FROM events AS e
      LEFT JOIN journals AS j
        ON j.journal_id = e.subject AND e.payload IS NULL AND e.type IN ('journal.posted', 'journal.reversed')
$$;

COMMENT ON FUNCTION ledger_private.event_payloads(bigint[]) IS
    'Payloads of events of the log as read: stored, or built from the journal''s or hold''s rows';
