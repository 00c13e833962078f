-- ledger.post_journals: post up to api_limit('batch_requests') journal requests in one call
-- and one transaction.
--
--   SELECT * FROM ledger.post_journals('[
--     {"idempotency_key": "b-1", "legs": [...], "memo": "..."},
--     {"idempotency_key": "b-2", "legs": [...], "effective_date": "2026-11-20"}]');
--
-- Each request has the fields of post_journal (idempotency_key, legs, effective_date, memo,
-- ref, metadata, conditions). Results come back one per request, in order: 'posted', 'duplicate', or
-- 'rejected' with the DX code, field and message of that request's rejection. A rejected
-- request writes nothing (its own subtransaction is rolled back); the others still post.
-- A key repeated inside the batch behaves as a replay: the same request → 'duplicate',
-- a different one → rejected with DX011. Requests take effect in order: a request that
-- would take an account outside its limits (below min_balance, or zero for allow_negative =
-- false, counting pending holds; above max_balance) is rejected even when a later request
-- of the batch would cover it.
-- A request's balance conditions (as post_journal's: DX056, DX057) are checked on the
-- balances right after that request, in the same order: later requests do not count.
-- Requests with conditions take the careful path (the fast path runs only when no request
-- has any), so a condition has one evaluation, ledger_private.check_conditions.
-- Serialization failures (40001) and deadlocks abort the whole batch so the caller retries
-- it: they are never reported as a request's rejection.
--
-- Two paths, one outcome. The fast path writes the whole batch set-based, a handful of
-- statements whatever its size, in one subtransaction: it runs only when every request is
-- valid, and it checks the same rules as the posting path (fields, leg shape, accounts,
-- balance per currency per journal, the leg trigger's row checks, and the account limits
-- request by request in order), so that it posts exactly what the careful path would. A
-- request whose key is taken already by the same request (a client's retry) is answered
-- 'duplicate' from its sentinel (replay_posting, as the careful path answers it) and writes
-- nothing; the others still go the fast way. When anything else is off (a rejection, a key
-- taken by a different request, a key repeated inside the batch) it gives up, its
-- subtransaction is rolled back, and the careful path posts the requests one by one
-- through ledger_private.post_journal_request, one subtransaction each. Clean batches (the
-- usual case, replays included) thus pay neither a statement set nor a subtransaction per
-- request, nor the subtransaction-cache overflow beyond 64 that slows every other
-- session's snapshots.
-- Raises DX016, DX019 (tenant), DX024 (requests not an array of 0–1,000 objects).
-- Capability post, on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.post_journals(
    requests jsonb,
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.batch_item_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal;
    -- The fast path's batch, request by request (index = position + 1) and leg by leg.
    v_req record;
    v_legs record;
    v_count integer;
    v_rows bigint;
    v_clean boolean;
    v_overdraft boolean;
    v_replayed integer[];  -- positions (1-based) whose key the same request took already
    v_differs boolean;
    v_written bigint;
BEGIN
    v_who := ledger_private.authorize_write('post', post_journals.tenant);
    post_journals.tenant := v_who.tenant;
    v_count := ledger_private.check_batch(post_journals.requests);  -- DX024
    IF v_count = 0 THEN
        RETURN;
    END IF;

    -- Fast path. Every failure inside this block, a rule violation (DX…), a date that does
    -- not parse, or XDX01 (this block giving up after writing), rolls all of it back.
    BEGIN
        -- 1. The requests: fields and legs array checked by the definitions
        --    post_journal_request uses (posting_field_problem, leg_array_problem), no
        --    balance conditions (a request with some takes the careful path), keys unique in
        --    the batch, the fingerprint (posting_fingerprint) and journal id of each. The arrays follow the
        --    order of the sorted subqueries (already in request order, so no sort runs): an
        --    ORDER BY inside each aggregate would sort once per aggregate.
        SELECT bool_and(q.fields_ok) AND count(DISTINCT q.key) = count(*) AS clean,
               array_agg(q.key) AS keys,
               array_agg(q.legs) AS legs,
               array_agg(q.effective_date) AS effective_dates,
               array_agg(q.memo) AS memos,
               array_agg(q.ref) AS refs,
               array_agg(q.metadata) AS metadata,
               array_agg(ledger_private.uuid_v7()) AS journal_ids,
               array_agg(CASE WHEN q.fields_ok THEN ledger_private.posting_fingerprint(
                             'post_journal', q.legs, q.requested_date, q.memo, q.ref,
                             q.metadata, NULL) END) AS fingerprints
          INTO v_req
          FROM (SELECT r.ord, r.key, r.legs, r.requested_date, r.memo, r.ref, r.metadata,
                       coalesce(r.requested_date,
                                ledger_private.default_effective_date(post_journals.tenant))
                           AS effective_date,
                       coalesce(r.is_object
                                AND ledger_private.posting_field_problem(
                                        post_journals.tenant, r.key, r.memo, r.ref, r.metadata) IS NULL
                                AND ledger_private.leg_array_problem(r.legs) IS NULL
                                AND coalesce(r.conditions IN ('null', '[]'), true)
                                AND coalesce(r.date_type IN ('string', 'null'), true), false)
                           AS fields_ok
                  FROM (SELECT e.ordinality AS ord, jsonb_typeof(e.value) = 'object' AS is_object,
                               e.value ->> 'idempotency_key' AS key, e.value -> 'legs' AS legs,
                               (e.value ->> 'effective_date')::date AS requested_date,
                               -- a date is a string: 20261201 is DX019 on the careful path
                               jsonb_typeof(e.value -> 'effective_date') AS date_type,
                               e.value ->> 'memo' AS memo, e.value ->> 'ref' AS ref,
                               coalesce(e.value -> 'metadata', '{}'::jsonb) AS metadata,
                               e.value -> 'conditions' AS conditions
                          FROM jsonb_array_elements(post_journals.requests) WITH ORDINALITY AS e
                        OFFSET 0) AS r
                 ORDER BY r.ord) AS q;

        v_clean := coalesce(v_req.clean, false);
        IF v_clean THEN
            -- 2. The legs, resolved as post_journal_request resolves them (posting_legs):
            --    shape, accounts, balance per currency in each journal (signed_amount), and
            --    the legs on accounts that may not go negative.
            WITH l AS MATERIALIZED (
                SELECT r.ord::integer AS ord, e.leg_no, e.problem, e.side, e.amount, e.ccy,
                       e.account_id, e.allow_negative
                  FROM unnest(v_req.legs) WITH ORDINALITY AS r (legs, ord)
                 CROSS JOIN LATERAL ledger_private.posting_legs(post_journals.tenant, r.legs) AS e
            ), v AS MATERIALIZED (
                SELECT l.ord, l.leg_no, l.account_id, l.allow_negative, l.side, l.ccy,
                       l.amount::numeric AS amount
                  FROM l
                 WHERE NOT EXISTS (SELECT FROM l AS b
                                    WHERE b.problem IS NOT NULL OR b.account_id IS NULL)
                 ORDER BY l.ord, l.leg_no
            )
            SELECT (SELECT count(*) FROM l) = (SELECT count(*) FROM v)
                   AND NOT EXISTS (SELECT FROM v
                                    GROUP BY v.ord, v.ccy
                                   HAVING sum(ledger_private.signed_amount(v.side, v.amount)) <> 0)
                       AS clean,
                   (SELECT bool_or(NOT v.allow_negative) FROM v) AS constrained,
                   (SELECT count(*) FROM v) AS leg_count,
                   array_agg(v.ord) AS ords,
                   array_agg(v.leg_no) AS leg_nos,
                   array_agg(v.account_id) AS account_ids,
                   array_agg(v.side) AS sides,
                   array_agg(v.amount) AS amounts,
                   array_agg(v.ccy) AS ccys
              INTO v_legs
              FROM v;
            v_clean := v_legs.clean;
        END IF;

        IF v_clean THEN
            -- 3. Write it all: the same lock per key as post_journal_request
            --    (lock_idempotency_key), in request order; the sentinels, then the journals
            --    in request order, then their legs in order (so the leg trigger finds each
            --    journal's state in O(1)). This block checks what it writes (see
            --    post_journal_request.sql and 0003).
            PERFORM ledger_private.lock_idempotency_key(post_journals.tenant, k.key)
               FROM unnest(v_req.keys) WITH ORDINALITY AS k (key, ord)
              ORDER BY k.ord;
            --    A key taken already writes nothing: its sentinel's INSERT … ON CONFLICT DO
            --    NOTHING returns no row (and, unlike a lookup of every key, takes no
            --    predicate lock on the index pages other batches insert into).
            PERFORM set_config('doublex.checked_inline', 'on', true);
            WITH r AS (
                SELECT r.ord::integer AS ord, r.key, r.journal_id, r.fingerprint,
                       r.effective_date, r.memo, r.ref, r.metadata
                  FROM unnest(v_req.keys, v_req.journal_ids, v_req.fingerprints,
                              v_req.effective_dates, v_req.memos, v_req.refs, v_req.metadata)
                       WITH ORDINALITY
                       AS r (key, journal_id, fingerprint, effective_date, memo, ref, metadata, ord)
            ), s AS (
                INSERT INTO ledger_private.idempotency_sentinel AS s
                       (tenant, idempotency_key, operation, fingerprint, journal_id)
                SELECT post_journals.tenant, r.key, 'post_journal', r.fingerprint, r.journal_id
                  FROM r
                 ORDER BY r.ord
                ON CONFLICT ON CONSTRAINT idempotency_sentinel_pkey DO NOTHING
                RETURNING s.journal_id
            ), j AS (
                INSERT INTO ledger_private.journal AS j
                       (journal_id, tenant, idempotency_key, kind, effective_date, created_at,
                        memo, ref, metadata, created_by)
                SELECT r.journal_id, post_journals.tenant, r.key, 'transfer', r.effective_date,
                       now(), r.memo, r.ref, r.metadata, v_who.actor
                  FROM r JOIN s ON s.journal_id = r.journal_id
                 ORDER BY r.ord
                RETURNING j.journal_id
            ), l AS (
                INSERT INTO ledger_private.leg (journal_id, leg_no, account_id, side, amount, ccy)
                SELECT j.journal_id, l.leg_no, l.account_id, l.side, l.amount, l.ccy
                  FROM unnest(v_legs.ords, v_legs.leg_nos, v_legs.account_ids, v_legs.sides,
                              v_legs.amounts, v_legs.ccys)
                           AS l (ord, leg_no, account_id, side, amount, ccy)
                  JOIN j ON j.journal_id = v_req.journal_ids[l.ord]
                 ORDER BY l.ord, l.leg_no
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM l),
                   coalesce((SELECT array_agg(r.ord ORDER BY r.ord) FROM r
                              WHERE r.journal_id NOT IN (SELECT s.journal_id FROM s)), '{}')
              INTO v_rows, v_replayed;
            --    The keys taken already: by the same request, a replay answered below from
            --    its sentinel; by a different one, the careful path's DX011.
            SELECT count(*) INTO v_written
              FROM unnest(v_legs.ords) AS l (ord)
             WHERE l.ord <> ALL (v_replayed);
            SELECT coalesce(bool_or(s.fingerprint <> v_req.fingerprints[k.ord]), false)
              INTO v_differs
              FROM unnest(v_replayed) AS k (ord)
              JOIN ledger_private.idempotency_sentinel AS s
                ON s.tenant = post_journals.tenant AND s.idempotency_key = v_req.keys[k.ord];
            IF v_rows <> v_written OR v_differs THEN
                RAISE EXCEPTION USING ERRCODE = 'XDX01', MESSAGE = 'batch fast path: key reused';
            END IF;

            -- 4. The limits, request by request in order: after request k, an account's
            --    position (position_of_account: available balance and the ceiling it uses) is
            --    its position now minus what the later requests of the batch moved on it.
            --    One of them outside the account's limits: the careful path rejects it.
            IF v_legs.constrained THEN
                SELECT bool_or(b.available_after < b.floor OR b.ceiling_used_after > b.ceiling)
                  INTO v_overdraft
                  FROM (SELECT t.available - m.later AS available_after,
                               t.ceiling_used - m.later AS ceiling_used_after,
                               t.floor, t.ceiling
                          FROM (SELECT m.account_id,
                                       sum(m.moved) OVER (PARTITION BY m.account_id ORDER BY m.ord DESC)
                                       - m.moved AS later
                                  FROM (SELECT l.account_id, l.ord,
                                               sum(CASE WHEN l.side = a.normal_side THEN l.amount
                                                        ELSE -l.amount END) AS moved
                                          FROM unnest(v_legs.ords, v_legs.account_ids, v_legs.sides,
                                                      v_legs.amounts)
                                                   AS l (ord, account_id, side, amount)
                                          JOIN ledger_private.account AS a USING (account_id)
                                         WHERE NOT (a.allow_negative AND a.min_balance IS NULL
                                                    AND a.max_balance IS NULL)
                                           AND l.ord <> ALL (v_replayed)
                                         GROUP BY l.account_id, l.ord) AS m) AS m
                         CROSS JOIN LATERAL ledger_private.position_of_account(m.account_id) AS t) AS b;
                IF v_overdraft THEN
                    RAISE EXCEPTION USING ERRCODE = 'XDX01', MESSAGE = 'batch fast path: overdraft';
                END IF;
            END IF;

            -- 5. Stop vouching for new rows (a leg added later is checked at commit).
            PERFORM set_config('doublex.checked_inline', 'off', true);

            RETURN QUERY
                SELECT (r.ord - 1)::integer, r.key, coalesce((r.replay).journal_id, r.journal_id),
                       coalesce((r.replay).status, 'posted'),
                       coalesce((r.replay).effective_date, r.effective_date),
                       coalesce((r.replay).created_at, now()), NULL::text, NULL::text, NULL::text
                  FROM (SELECT r.*,
                               CASE WHEN r.ord = ANY (v_replayed)
                                    THEN ledger_private.replay_posting(post_journals.tenant, r.key,
                                                                       v_req.fingerprints[r.ord])
                               END AS replay
                          FROM unnest(v_req.keys, v_req.journal_ids, v_req.effective_dates)
                               WITH ORDINALITY AS r (key, journal_id, effective_date, ord)
                        OFFSET 0) AS r  -- one replay_posting per replayed request
                 ORDER BY r.ord;
            RETURN;
        END IF;
    EXCEPTION WHEN SQLSTATE 'DX000' OR SQLSTATE 'XDX01' OR invalid_datetime_format
                   OR datetime_field_overflow THEN
        NULL;  -- everything of this attempt is rolled back; redo carefully
    END;

    -- Careful path: one subtransaction per request (ledger_private.batch_posting_results:
    -- run_batch_requests through post_journal_request): a rule violation is that request's
    -- rejection; anything else (40001, 40P01, out of memory) aborts the batch.
    RETURN QUERY
        SELECT * FROM ledger_private.batch_posting_results('post_journal', post_journals.requests,
                                                           post_journals.tenant, v_who.actor);
END
$$;

COMMENT ON FUNCTION ledger.post_journals(jsonb, text) IS
    'Posts up to api_limit(''batch_requests'') journal requests in one transaction, one result per request';
GRANT EXECUTE ON FUNCTION ledger.post_journals(jsonb, text) TO doublex_api;
