-- ledger_private.emit_event(tenant, type, actor, payload): queues one event into PgQ's
-- `doublex_events` (pgq.insert_event) in the current transaction, with a new random id
-- (ev_extra1), its tenant (ev_extra2) and actor (ev_extra3); PgQ stamps ev_time (now(): the
-- transaction's time, the event's occurred_at). ledger.sequence_events gives it a position
-- once its transaction committed.

CREATE OR REPLACE FUNCTION ledger_private.emit_event(
    p_tenant text, p_type text, p_actor text, p_payload jsonb
) RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT pgq.insert_event('doublex_events', p_type, p_payload::text,
                            gen_random_uuid()::text, p_tenant, p_actor, NULL);
$$;

COMMENT ON FUNCTION ledger_private.emit_event(text, text, text, jsonb) IS
    'Queues an event (PgQ) in the current transaction';
