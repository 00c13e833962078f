-- ledger_private.event_payload(tenant, type, payload) → jsonb: an event's payload completed
-- from the committed rows: what the writing transaction left out, to keep it lean and off
-- the indexes every posting writes: a journal's header and legs
-- (ledger_private.event_of_journals, which readers ask for many journals at once), a
-- hold's fields and legs, a resolution's key and a capture's journal (their triggers queue
-- the hold's id alone). The sequencer calls it on each queued event it positions, after the
-- event's transaction committed, and stores the result, except for a hold event queued
-- with the hold's id alone: ledger_private.event_payloads calls it when that event is
-- read. Legs, holds, resolutions, sentinels and journals are append-only and an account's
-- code never changes, so what it reads, then or later, is exactly what committed with the
-- event.

CREATE OR REPLACE FUNCTION ledger_private.event_payload(p_tenant text, p_type text, p_payload jsonb)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT CASE
        WHEN p_type IN ('journal.posted', 'journal.reversed') THEN (
            SELECT p_payload || e.payload
              FROM ledger_private.event_of_journals(ARRAY[(p_payload ->> 'journal_id')::uuid]) AS e)
        WHEN p_type = 'hold.created' THEN (
            SELECT p_payload || jsonb_build_object(
                       'hold_id', h.hold_id, 'idempotency_key', h.idempotency_key,
                       'expires_at', h.expires_at, 'memo', h.memo, 'ref', h.ref,
                       'metadata', h.metadata,
                       'legs', (SELECT coalesce(jsonb_agg(ledger_private.event_leg(hl.leg_no, a.code, hl.side,
                                                                                   hl.amount, hl.ccy)
                                                         ORDER BY hl.leg_no), '[]')
                                  FROM ledger_private.hold_leg AS hl
                                  JOIN ledger_private.account AS a ON a.account_id = hl.account_id
                                 WHERE hl.hold_id = h.hold_id))
              FROM ledger_private.hold AS h
             WHERE h.hold_id = (p_payload ->> 'hold_id')::uuid)
        WHEN p_type IN ('hold.captured', 'hold.voided', 'hold.expired') THEN (
            SELECT p_payload || jsonb_build_object(
                       'hold_id', r.hold_id, 'idempotency_key', r.idempotency_key,
                       'journal_id', (SELECT s.journal_id FROM ledger_private.idempotency_sentinel AS s
                                       WHERE r.outcome = 'captured' AND s.tenant = r.tenant
                                         AND s.idempotency_key = 'hold:' || r.hold_id))
              FROM ledger_private.hold_resolution AS r
             WHERE r.hold_id = (p_payload ->> 'hold_id')::uuid)
        ELSE p_payload
    END
$$;

COMMENT ON FUNCTION ledger_private.event_payload(text, text, jsonb) IS
    'An event''s payload completed at sequencing (legs, a capture''s journal) from committed rows';
