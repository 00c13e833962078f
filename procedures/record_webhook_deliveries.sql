-- ledger.record_webhook_deliveries: the delivery worker records what became of a claim.
--
--   BEGIN ISOLATION LEVEL READ COMMITTED;
--   SELECT * FROM ledger.record_webhook_deliveries(
--       'dxw_3f9a0c61b2d4', '…claim token…', positions => ARRAY[1041, 1042],
--       event_ids => ARRAY[…]::uuid[], statuses => ARRAY[200, 503], errors => ARRAY[NULL, 'HTTP 503'],
--       durations_ms => ARRAY[3, 12]);
--   COMMIT;
--   → delivered, failed, dead_lettered, cursor, next_attempt_at
--
-- One element per event sent, in the claim's order (the worker sends in order and stops
-- after the first failure it meets). An event is delivered when its status is 2xx; any
-- other status, or none (a timeout, a refused connection: `errors` says which), is a
-- failure. Every attempt becomes a line of the endpoint's history. The cursor moves past the
-- delivered events before the first failure; a failure starts or extends the endpoint's
-- failing streak: the next attempt waits ledger_private.webhook_backoff (exponential from
-- retry_base_seconds, capped at retry_cap_seconds, with jitter). Once the endpoint has
-- failed for give_up_seconds (24 h by default) the pending events that have waited as long
-- are dead letters (history lines with outcome dead_letter, at most
-- api_limit('webhook_dead_letters_per_call') per call) and the cursor moves past them. A
-- claim no longer held (the lease ran out and another worker claimed, the endpoint was
-- replayed or deleted) writes its history lines and changes nothing else. Granted to the
-- service's login (doublex_service) alone. Raises DX016 at another isolation than READ
-- COMMITTED, DX061 for arrays of different lengths.

CREATE OR REPLACE FUNCTION ledger.record_webhook_deliveries(
    webhook_id text,
    claim_token uuid,
    positions bigint[],
    event_ids uuid[],
    statuses integer[],
    errors text[],
    durations_ms integer[],
    retry_base_seconds double precision DEFAULT 1,
    retry_cap_seconds double precision DEFAULT 3600,
    give_up_seconds double precision DEFAULT 86400
) RETURNS ledger.webhook_record_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_hook ledger_private.webhook;
    v_n integer := coalesce(cardinality(record_webhook_deliveries.positions), 0);
    v_first_failure integer;
    v_delivered integer;
    v_dead integer := 0;
    v_cursor bigint;
BEGIN
    PERFORM ledger_private.require_isolation(
        ARRAY['read committed'], 'record_webhook_deliveries',
        'BEGIN ISOLATION LEVEL READ COMMITTED; SELECT * FROM ledger.record_webhook_deliveries(...); COMMIT;');
    IF v_n <> coalesce(cardinality(record_webhook_deliveries.event_ids), 0)
       OR v_n <> coalesce(cardinality(record_webhook_deliveries.statuses), 0)
       OR v_n <> coalesce(cardinality(record_webhook_deliveries.errors), 0)
       OR v_n <> coalesce(cardinality(record_webhook_deliveries.durations_ms), 0) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX061', COLUMN = 'positions',
            MESSAGE = 'positions, event_ids, statuses, errors and durations_ms must have one element per event sent';
    END IF;
    SELECT w.* INTO v_hook
      FROM ledger_private.webhook AS w
     WHERE w.webhook_id = record_webhook_deliveries.webhook_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX060', COLUMN = 'webhook_id',
            MESSAGE = format('webhook_id: no webhook %s',
                             coalesce(quote_literal(left(record_webhook_deliveries.webhook_id, 40)), 'NULL'));
    END IF;
    INSERT INTO ledger_private.webhook_delivery
           (webhook_id, position, event_id, attempt, outcome, status, error, duration_ms)
    SELECT v_hook.webhook_id, r.position, r.event_id, v_hook.attempts + 1,
           CASE WHEN r.status BETWEEN 200 AND 299 THEN 'delivered' ELSE 'failed' END,
           r.status, left(CASE WHEN r.status BETWEEN 200 AND 299 THEN NULL
                               ELSE coalesce(r.error, format('HTTP %s', r.status)) END, 500),
           r.duration_ms
      FROM unnest(record_webhook_deliveries.positions, record_webhook_deliveries.event_ids,
                  record_webhook_deliveries.statuses, record_webhook_deliveries.errors,
                  record_webhook_deliveries.durations_ms)
           AS r (position, event_id, status, error, duration_ms);
    SELECT min(r.n) INTO v_first_failure
      FROM unnest(record_webhook_deliveries.statuses) WITH ORDINALITY AS r (status, n)
     WHERE r.status IS NULL OR r.status NOT BETWEEN 200 AND 299;
    SELECT count(*) INTO v_delivered
      FROM unnest(record_webhook_deliveries.statuses) AS r (status)
     WHERE r.status BETWEEN 200 AND 299;
    IF v_hook.deleted_at IS NOT NULL OR v_hook.claim_token IS DISTINCT FROM record_webhook_deliveries.claim_token THEN
        RETURN ROW(v_delivered, v_n - v_delivered, 0, v_hook.cursor, v_hook.next_attempt_at)::ledger.webhook_record_result;
    END IF;
    v_cursor := CASE WHEN v_first_failure IS NULL THEN coalesce(record_webhook_deliveries.positions[v_n], v_hook.cursor)
                     WHEN v_first_failure = 1 THEN v_hook.cursor
                     ELSE record_webhook_deliveries.positions[v_first_failure - 1] END;
    IF v_first_failure IS NULL THEN
        UPDATE ledger_private.webhook AS w
           SET cursor = greatest(w.cursor, v_cursor), attempts = 0, failing_since = NULL,
               next_attempt_at = NULL, last_error = NULL, claim_token = NULL, claimed_until = NULL
         WHERE w.webhook_id = v_hook.webhook_id
        RETURNING w.* INTO v_hook;
        RETURN ROW(v_delivered, 0, 0, v_hook.cursor, NULL)::ledger.webhook_record_result;
    END IF;
    v_hook.failing_since := coalesce(v_hook.failing_since, now());
    IF now() - v_hook.failing_since >= make_interval(secs => record_webhook_deliveries.give_up_seconds) THEN
        -- Given up: the pending events that have waited the whole window, in position order
        -- up to the first that has not (the cursor never passes a pending event).
        WITH pending AS (
            SELECT e.position, e.event_id, e.occurred_at
              FROM ledger_private.event AS e
             WHERE e.tenant = v_hook.tenant AND e.position > v_cursor
               AND (v_hook.types IS NULL OR e.type = ANY (v_hook.types))
             ORDER BY e.position
             LIMIT ledger_private.api_limit('webhook_dead_letters_per_call')
        ), stop AS (
            SELECT min(p.position) AS position FROM pending AS p
             WHERE p.occurred_at > now() - make_interval(secs => record_webhook_deliveries.give_up_seconds)
        ), dead AS (
            INSERT INTO ledger_private.webhook_delivery
                   (webhook_id, position, event_id, attempt, outcome, error)
            SELECT v_hook.webhook_id, p.position, p.event_id, v_hook.attempts + 1, 'dead_letter',
                   left(format('given up after %s s of failures; last: %s',
                               record_webhook_deliveries.give_up_seconds,
                               coalesce(record_webhook_deliveries.errors[v_first_failure],
                                        format('HTTP %s', record_webhook_deliveries.statuses[v_first_failure]))), 500)
              FROM pending AS p
             WHERE p.position < coalesce((SELECT s.position FROM stop AS s), 'Infinity'::numeric)
            RETURNING position
        )
        SELECT count(*), coalesce(max(d.position), v_cursor) INTO v_dead, v_cursor FROM dead AS d;
    END IF;
    UPDATE ledger_private.webhook AS w
       SET cursor = greatest(w.cursor, v_cursor), attempts = w.attempts + 1,
           failing_since = v_hook.failing_since,
           next_attempt_at = now() + ledger_private.webhook_backoff(
               w.attempts + 1, record_webhook_deliveries.retry_base_seconds,
               record_webhook_deliveries.retry_cap_seconds),
           last_error = left(coalesce(record_webhook_deliveries.errors[v_first_failure],
                                      format('HTTP %s', record_webhook_deliveries.statuses[v_first_failure])), 500),
           claim_token = NULL, claimed_until = NULL
     WHERE w.webhook_id = v_hook.webhook_id
    RETURNING w.* INTO v_hook;
    RETURN ROW(v_delivered, v_n - v_delivered, v_dead, v_hook.cursor, v_hook.next_attempt_at)::ledger.webhook_record_result;
END
$$;

COMMENT ON FUNCTION ledger.record_webhook_deliveries(text, uuid, bigint[], uuid[], integer[], text[], integer[], double precision, double precision, double precision) IS
    'Delivery worker: records a claim''s attempts, moves the cursor, backs off, dead-letters';
-- The service's own login runs it, without a key.
GRANT EXECUTE ON FUNCTION ledger.record_webhook_deliveries(text, uuid, bigint[], uuid[], integer[], text[], integer[], double precision, double precision, double precision) TO doublex_service;
