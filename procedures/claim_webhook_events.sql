-- ledger.claim_webhook_events: the delivery worker takes the next events for one endpoint.
--
--   BEGIN ISOLATION LEVEL READ COMMITTED;
--   SELECT * FROM ledger.claim_webhook_events('dxw_3f9a0c61b2d4', 100, 60);
--   COMMIT;
--   → claim_token, url, secret, position, event_id, type, body
--
-- The next page_size events of the endpoint's tenant and types after its cursor (one, the
-- probe, while the endpoint is failing: a dead endpoint costs one request a retry), in
-- position order, when the endpoint is live, due (its backoff has passed) and not claimed
-- by another worker; no rows otherwise (and nothing is written). `body` is the request
-- body, the event as GET /api/events shows it (position, event_id, type, actor,
-- occurred_at, payload: ledger_private.event_payloads), as JSON text: the worker signs
-- and sends it as it is. A claim holds the endpoint for lease_seconds:
-- ledger.record_webhook_deliveries with its claim_token releases it; a worker that died
-- lets its lease run out, and the next one delivers the same events again (at least once). Granted to the service's login (doublex_service)
-- alone; the owner may call it. Raises DX016 at another isolation than READ COMMITTED.

CREATE OR REPLACE FUNCTION ledger.claim_webhook_events(
    webhook_id text,
    page_size integer DEFAULT 100,
    lease_seconds double precision DEFAULT 60
) RETURNS SETOF ledger.webhook_claim
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_hook ledger_private.webhook;
    v_token uuid := gen_random_uuid();
BEGIN
    PERFORM ledger_private.require_isolation(
        ARRAY['read committed'], 'claim_webhook_events',
        'BEGIN ISOLATION LEVEL READ COMMITTED; SELECT * FROM ledger.claim_webhook_events(...); COMMIT;');
    PERFORM ledger_private.check_page_size(claim_webhook_events.page_size);
    SELECT w.* INTO v_hook
      FROM ledger_private.webhook AS w
     WHERE w.webhook_id = claim_webhook_events.webhook_id AND w.deleted_at IS NULL
       AND (w.claimed_until IS NULL OR w.claimed_until < now())
       AND (w.next_attempt_at IS NULL OR w.next_attempt_at <= now())
       FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY
        WITH page AS MATERIALIZED (
            SELECT e.position, e.event_id, e.type, e.actor, e.occurred_at
              FROM ledger_private.event AS e
             WHERE e.tenant = v_hook.tenant AND e.position > v_hook.cursor
               AND (v_hook.types IS NULL OR e.type = ANY (v_hook.types))
             ORDER BY e.position
             LIMIT CASE WHEN v_hook.attempts > 0 THEN 1 ELSE claim_webhook_events.page_size END
        )
        SELECT v_token, v_hook.url, v_hook.secret, p.position, p.event_id, p.type,
               jsonb_build_object('position', p.position, 'event_id', p.event_id,
                                  'type', p.type, 'actor', p.actor,
                                  'occurred_at', p.occurred_at, 'payload', c.payload)::text
          FROM page AS p
          JOIN ledger_private.event_payloads(ARRAY(SELECT pp.position FROM page AS pp)) AS c
            ON c.event_position = p.position
         ORDER BY p.position;
    IF FOUND THEN
        UPDATE ledger_private.webhook AS w
           SET claim_token = v_token,
               claimed_until = now() + make_interval(secs => claim_webhook_events.lease_seconds)
         WHERE w.webhook_id = v_hook.webhook_id;
    END IF;
END
$$;

COMMENT ON FUNCTION ledger.claim_webhook_events(text, integer, double precision) IS
    'Delivery worker: claims the next events of a due webhook endpoint for a lease';
-- The service's own login runs it, without a key.
GRANT EXECUTE ON FUNCTION ledger.claim_webhook_events(text, integer, double precision) TO doublex_service;
