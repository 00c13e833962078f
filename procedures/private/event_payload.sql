-- ledger_private.event_payload(tenant, type, payload) → jsonb: an event's payload as the
-- log keeps it. The sequencer calls it on each event it positions, after the event's
-- transaction committed, and adds what the writing transaction left out, to keep it lean
-- and off the indexes every posting writes: a journal's header and legs
-- (ledger_private.event_of_journals; the sequencer asks it for a whole batch at once), a
-- hold's legs, a capture's journal. Legs, holds and journals are append-only, so what it
-- reads is exactly what committed with the event.

CREATE OR REPLACE FUNCTION ledger_private.event_payload(p_tenant text, p_type text, p_payload jsonb)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT CASE
        WHEN p_type IN ('journal.posted', 'journal.reversed') THEN (
            SELECT p_payload || e.payload
              FROM ledger_private.event_of_journals(ARRAY[(p_payload ->> 'journal_id')::uuid]) AS e)
        WHEN p_type = 'hold.created' THEN p_payload || jsonb_build_object(
            'legs', (SELECT coalesce(jsonb_agg(ledger_private.event_leg(hl.leg_no, a.code, hl.side,
                                                                        hl.amount, hl.ccy)
                                              ORDER BY hl.leg_no), '[]')
                       FROM ledger_private.hold_leg AS hl
                       JOIN ledger_private.account AS a ON a.account_id = hl.account_id
                      WHERE hl.hold_id = (p_payload ->> 'hold_id')::uuid))
        WHEN p_type IN ('hold.captured', 'hold.voided', 'hold.expired') THEN p_payload || jsonb_build_object(
            'journal_id', (SELECT s.journal_id FROM ledger_private.idempotency_sentinel AS s
                            WHERE p_type = 'hold.captured' AND s.tenant = p_tenant
                              AND s.idempotency_key = 'hold:' || (p_payload ->> 'hold_id')))
        ELSE p_payload
    END
$$;

COMMENT ON FUNCTION ledger_private.event_payload(text, text, jsonb) IS
    'An event''s payload completed at sequencing (legs, a capture''s journal) from committed rows';
