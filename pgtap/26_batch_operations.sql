-- The set-based reversals, holds and captures (issue #19): ledger.reverse_journals,
-- ledger.create_holds and ledger.capture_holds answer one row per request, in order, each
-- as the single function (reverse_journal, create_hold, capture_hold) answers it alone:
-- happy paths, every batch-level error by SQLSTATE, a rejected member that writes nothing
-- and leaves its neighbours alone, duplicates inside one call, and the equivalence with the
-- single function on the same inputs (the batch, rolled back, then the singles in order).
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(37);
\ir helpers/fixtures.sql

SELECT tap.create_accounts('CASH EUR asset', 'WALLET EUR liability non-negative',
                           'MERCHANT EUR liability');
SELECT ledger.post_journal('fund', tap.pair('CASH', 'WALLET', '100.00'));
SELECT ledger.post_journal(k, tap.pair('CASH', 'MERCHANT', '5.00'))
  FROM unnest(ARRAY['j1', 'j2', 'j3', 'j4', 'j5', 'j6', 'j7', 'j8']) AS k;
CREATE FUNCTION tap.spend(p_amount text) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT tap.pair('WALLET', 'MERCHANT', p_amount) $$;
CREATE FUNCTION tap.hid(p_key text) RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT h.hold_id FROM ledger_private.hold AS h WHERE h.idempotency_key = p_key $$;
-- A request object: field/value pairs.
CREATE FUNCTION tap.req(VARIADIC p_pairs text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_object_agg(p_pairs[i], CASE WHEN left(p_pairs[i + 1], 1) IN ('[', '{')
                                             THEN p_pairs[i + 1]::jsonb
                                             ELSE to_jsonb(p_pairs[i + 1]) END)
      FROM generate_series(1, array_length(p_pairs, 1), 2) AS i
$$;
-- A batch call's outcomes in order: status, or rejected:DXnnn.
CREATE FUNCTION tap.outcomes(p_call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v text;
BEGIN
    EXECUTE format('SELECT string_agg(r.status || coalesce(%L || r.error_code, %L), %L ORDER BY r.position)
                      FROM %s AS r', ':', '', ',', p_call) INTO v;
    RETURN v;
END
$$;
-- The same requests made one by one through the single function, each request's fields as
-- its named arguments, in order: their outcomes as tap.outcomes gives a batch's.
CREATE FUNCTION tap.alone_each(p_function text, p_requests jsonb) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_request jsonb;
    v_outcomes text[] := '{}';
BEGIN
    FOR v_request IN SELECT e.value FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS e ORDER BY e.ordinality LOOP
        v_outcomes := v_outcomes || tap.alone(format('%s(%s)', p_function,
                          (SELECT string_agg(format('%I => %L', a.key, a.value #>> '{}'), ', ')
                             FROM jsonb_each(v_request) AS a)));
    END LOOP;
    RETURN array_to_string(v_outcomes, ',');
END
$$;
-- A batch call's outcomes (tap.outcomes), rolled back, and those of the same requests made
-- one by one through the single function (tap.alone_each): the two sides of an equivalence.
CREATE FUNCTION tap.equivalence(p_batch text, p_single text, p_requests jsonb, OUT batch text, OUT alone text)
LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        batch := tap.outcomes(format('%s(%L)', p_batch, p_requests));
        RAISE EXCEPTION USING ERRCODE = 'XTAP0', MESSAGE = 'roll the batch back';
    EXCEPTION WHEN SQLSTATE 'XTAP0' THEN
        NULL;
    END;
    alone := tap.alone_each(p_single, p_requests);
END
$$;
-- One single call's outcome: its status, or rejected:DXnnn (and what it did stays done).
CREATE FUNCTION tap.alone(p_call text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v text;
BEGIN
    EXECUTE format('SELECT r.status FROM %s AS r', p_call) INTO v;
    RETURN v;
EXCEPTION WHEN SQLSTATE 'DX000' THEN
    RETURN 'rejected:' || SQLSTATE;
END
$$;

-- reverse_journals -----------------------------------------------------------------------
SELECT is(tap.outcomes(format($$ledger.reverse_journals(%L)$$, jsonb_build_array(
              tap.req('journal_id', tap.jid('j1')::text, 'idempotency_key', 'r-1', 'memo', 'oops'),
              tap.req('journal_id', tap.jid('j2')::text, 'idempotency_key', 'r-2')))),
          'posted,posted', 'reverse_journals: Should reverse each journal, one row per request in order');
SELECT is((SELECT array_agg(j.reverses ORDER BY j.idempotency_key) FROM ledger_private.journal AS j
            WHERE j.idempotency_key IN ('r-1', 'r-2') AND j.kind = 'reversal'),
          ARRAY[tap.jid('j1'), tap.jid('j2')], 'reverse_journals: Should write the reversals as reverse_journal does');
SELECT is((SELECT array_agg((r.status, r.journal_id)::text ORDER BY r.position)
             FROM ledger.reverse_journals(jsonb_build_array(
                  tap.req('journal_id', tap.jid('j1')::text, 'idempotency_key', 'r-1', 'memo', 'oops'),
                  tap.req('journal_id', tap.jid('j2')::text, 'idempotency_key', 'r-2'))) AS r),
          ARRAY[('duplicate', tap.jid('r-1'))::text, ('duplicate', tap.jid('r-2'))::text],
          'reverse_journals: Should answer a replay with the original reversals as duplicate');
SELECT is(tap.outcomes(format($$ledger.reverse_journals(%L)$$, jsonb_build_array(
              tap.req('journal_id', tap.jid('j3')::text, 'idempotency_key', 'r-3'),
              tap.req('journal_id', '01900000-0000-7000-8000-000000000000', 'idempotency_key', 'r-x'),
              tap.req('journal_id', tap.jid('j1')::text, 'idempotency_key', 'r-again'),
              tap.req('journal_id', tap.jid('r-1')::text, 'idempotency_key', 'r-rev'),
              '"not an object"'::jsonb,
              tap.req('journal_id', 'zz', 'idempotency_key', 'r-bad'),
              tap.req('journal_id', tap.jid('j4')::text, 'idempotency_key', 'r-4')))),
          'posted,rejected:DX013,rejected:DX014,rejected:DX022,rejected:DX024,rejected:DX019,posted',
          'reverse_journals: Should reject each bad request with its own DX code and post its neighbours');
SELECT is((SELECT count(*)::integer FROM ledger_private.journal AS j
            WHERE j.idempotency_key IN ('r-x', 'r-again', 'r-rev', 'r-bad')),
          0, 'reverse_journals: Should write nothing for a rejected request');
SELECT is((SELECT (r.error_field, r.error_message)::text
             FROM ledger.reverse_journals(jsonb_build_array(
                  tap.req('journal_id', 'zz', 'idempotency_key', 'r-bad'))) AS r),
          ('journal_id', 'journal_id: "zz" is not a uuid')::text,
          'reverse_journals: Should name the field of a malformed request');
SELECT is(tap.outcomes(format($$ledger.reverse_journals(%L)$$, jsonb_build_array(
              tap.req('journal_id', tap.jid('j5')::text, 'idempotency_key', 'r-5'),
              tap.req('journal_id', tap.jid('j5')::text, 'idempotency_key', 'r-5'),
              tap.req('journal_id', tap.jid('j5')::text, 'idempotency_key', 'r-5', 'memo', 'other'),
              tap.req('journal_id', tap.jid('j5')::text, 'idempotency_key', 'r-5b')))),
          'posted,duplicate,rejected:DX011,rejected:DX014',
          'reverse_journals: Should treat a key repeated inside one call as a replay');
SELECT throws_ok($$SELECT * FROM ledger.reverse_journals('{"journal_id": null}')$$, 'DX024',
                 'requests: must be a JSON array, got object',
                 'reverse_journals: Should refuse requests that are not an array (DX024)');
SELECT throws_ok($$SELECT * FROM ledger.reverse_journals(
                       (SELECT jsonb_agg('{}'::jsonb) FROM generate_series(1, 1001)))$$, 'DX024',
                 'requests: at most 1000 per batch, got 1001',
                 'reverse_journals: Should refuse more than api_limit(''batch_requests'') requests (DX024)');
SELECT is((SELECT count(*)::integer FROM ledger.reverse_journals('[]')), 0,
          'reverse_journals: Should answer an empty batch with no rows');
SELECT throws_ok($$SELECT * FROM ledger.reverse_journals('[]', 'bad tenant!')$$, 'DX019', NULL,
                 'reverse_journals: Should refuse a malformed tenant before any request (DX019)');
-- Equivalence: the batch's outcomes and, rolled back, the single calls' in the same order.
SELECT e.batch, e.alone
  FROM tap.equivalence('ledger.reverse_journals', 'ledger.reverse_journal',
           (SELECT jsonb_agg(jsonb_build_object('journal_id', tap.jid(t.journal), 'idempotency_key', t.key)
                             ORDER BY t.ord)
              FROM (VALUES (1, 'j6', 'e-1'), (2, 'j6', 'e-2'), (3, 'j7', 'e-1'), (4, 'r-1', 'e-3'),
                           (5, 'j7', 'e-4')) AS t (ord, journal, key))) AS e
\gset
SELECT is(:'alone'::text, :'batch'::text,
          'reverse_journals: Should answer each request as reverse_journal alone, in order');

-- create_holds -----------------------------------------------------------------------------
SELECT is(tap.outcomes(format($$ledger.create_holds(%L)$$, jsonb_build_array(
              tap.req('idempotency_key', 'h-1', 'legs', tap.spend('30.00')::text),
              tap.req('idempotency_key', 'h-2', 'legs', tap.spend('20.00')::text, 'memo', 'card auth',
                      'metadata', '{"order": 7}')))),
          'pending,pending', 'create_holds: Should create each hold, one row per request in order');
SELECT is((SELECT available FROM ledger.get_available_balance('WALLET')), 50.00::numeric,
          'create_holds: Should count both holds against the available balance');
SELECT is((SELECT (h.memo, h.metadata)::text FROM ledger_private.hold AS h WHERE h.idempotency_key = 'h-2'),
          ('card auth', '{"order": 7}'::jsonb)::text, 'create_holds: Should keep memo and metadata as create_hold does');
SELECT is((SELECT array_agg((r.status, r.hold_id)::text ORDER BY r.position)
             FROM ledger.create_holds(jsonb_build_array(
                  tap.req('idempotency_key', 'h-1', 'legs', tap.spend('30.00')::text),
                  tap.req('idempotency_key', 'h-2', 'legs', tap.spend('20.00')::text, 'memo', 'card auth',
                          'metadata', '{"order": 7}'))) AS r),
          ARRAY[('duplicate', tap.hid('h-1'))::text, ('duplicate', tap.hid('h-2'))::text],
          'create_holds: Should answer a replay with the original holds as duplicate');
SELECT is(tap.outcomes(format($$ledger.create_holds(%L)$$, jsonb_build_array(
              tap.req('idempotency_key', 'h-3', 'legs', tap.spend('40.00')::text),
              tap.req('idempotency_key', 'h-4', 'legs', tap.spend('20.00')::text),
              tap.req('idempotency_key', 'h-5', 'legs', tap.pair('NOPE', 'MERCHANT', '1.00')::text),
              tap.req('idempotency_key', 'h-6', 'legs', tap.spend('1.00')::text, 'expires_at', 'soon'),
              tap.req('idempotency_key', 'h-7', 'legs', tap.spend('1.00')::text,
                      'expires_at', (now() - interval '1 hour')::text),
              '[1, 2]'::jsonb,
              tap.req('idempotency_key', 'h-8', 'legs', tap.spend('10.00')::text)))),
          'pending,rejected:DX010,rejected:DX006,rejected:DX019,rejected:DX055,rejected:DX024,pending',
          'create_holds: Should reject each bad request with its own DX code, in order, and create its neighbours');
SELECT is((SELECT count(*)::integer FROM ledger_private.hold AS h
            WHERE h.idempotency_key IN ('h-4', 'h-5', 'h-6', 'h-7')),
          0, 'create_holds: Should write nothing for a rejected request');
SELECT is((SELECT available FROM ledger.get_available_balance('WALLET')), 0.00::numeric,
          'create_holds: Should count a hold against the requests after it (h-4 refused, h-8 fits)');
SELECT is(tap.outcomes(format($$ledger.create_holds(%L)$$, jsonb_build_array(
              tap.req('idempotency_key', 'h-9', 'legs', tap.pair('CASH', 'MERCHANT', '1.00')::text),
              tap.req('idempotency_key', 'h-9', 'legs', tap.pair('CASH', 'MERCHANT', '1.00')::text),
              tap.req('idempotency_key', 'h-9', 'legs', tap.pair('CASH', 'MERCHANT', '2.00')::text)))),
          'pending,duplicate,rejected:DX011', 'create_holds: Should treat a key repeated inside one call as a replay');
SELECT is((SELECT (r.error_code, r.error_field)::text
             FROM ledger.create_holds(jsonb_build_array(
                  tap.req('idempotency_key', 'h-10', 'legs', tap.spend('1.00')::text,
                          'expires_at', 'soon'))) AS r),
          ('DX019', 'expires_at')::text, 'create_holds: Should name the field of a malformed request');
SELECT throws_ok($$SELECT * FROM ledger.create_holds(NULL)$$, 'DX024',
                 'requests: must be a JSON array, got NULL',
                 'create_holds: Should refuse requests that are not an array (DX024)');
SELECT throws_ok($$SELECT * FROM ledger.create_holds(
                       (SELECT jsonb_agg('{}'::jsonb) FROM generate_series(1, 1001)))$$, 'DX024', NULL,
                 'create_holds: Should refuse more than api_limit(''batch_requests'') requests (DX024)');
SELECT e.batch, e.alone
  FROM tap.equivalence('ledger.create_holds', 'ledger.create_hold',
           (SELECT jsonb_agg(jsonb_build_object('idempotency_key', t.key, 'legs', t.legs) ORDER BY t.ord)
              FROM (VALUES (1, 'q-1', tap.pair('CASH', 'MERCHANT', '3.00')),
                           (2, 'q-1', tap.pair('CASH', 'MERCHANT', '4.00')),
                           (3, 'q-2', tap.spend('0.01')),
                           (4, 'q-3', tap.pair('CASH', 'MERCHANT', '3.00')),
                           (5, 'q-1', tap.pair('CASH', 'MERCHANT', '3.00'))) AS t (ord, key, legs))) AS e
\gset
SELECT is(:'alone'::text, :'batch'::text,
          'create_holds: Should answer each request as create_hold alone, in order');

-- capture_holds ----------------------------------------------------------------------------
SELECT ledger.create_hold(k, tap.pair('CASH', 'MERCHANT', '10.00'))
  FROM unnest(ARRAY['c-1', 'c-2', 'c-3', 'c-4', 'c-5', 'c-6', 'c-7']) AS k;
SELECT ledger.void_hold(tap.hid('c-4'), 'void-4');
SELECT is(tap.outcomes(format($$ledger.capture_holds(%L)$$, jsonb_build_array(
              tap.req('hold_id', tap.hid('c-1')::text, 'idempotency_key', 'cap-1'),
              tap.req('hold_id', tap.hid('c-2')::text, 'idempotency_key', 'cap-2', 'amounts', '["4.00", "4.00"]')))),
          'captured,captured', 'capture_holds: Should capture each hold, one row per request in order');
SELECT is((SELECT array_agg(l.amount ORDER BY j.idempotency_key, l.leg_no)
             FROM ledger_private.journal AS j JOIN ledger_private.leg AS l USING (journal_id)
            WHERE j.idempotency_key IN ('hold:' || tap.hid('c-1'), 'hold:' || tap.hid('c-2'))),
          CASE WHEN tap.hid('c-1') < tap.hid('c-2') THEN ARRAY[10.00, 10.00, 4.00, 4.00]
               ELSE ARRAY[4.00, 4.00, 10.00, 10.00] END::numeric[],
          'capture_holds: Should post each capture as capture_hold does (whole, and per-leg amounts)');
SELECT is((SELECT array_agg((r.status, r.hold_id, r.journal_id)::text ORDER BY r.position)
             FROM ledger.capture_holds(jsonb_build_array(
                  tap.req('hold_id', tap.hid('c-1')::text, 'idempotency_key', 'cap-1'),
                  tap.req('hold_id', tap.hid('c-2')::text, 'idempotency_key', 'cap-2',
                          'amounts', '["4.00", "4.00"]'))) AS r),
          ARRAY[('duplicate', tap.hid('c-1'), tap.jid('hold:' || tap.hid('c-1')))::text,
                ('duplicate', tap.hid('c-2'), tap.jid('hold:' || tap.hid('c-2')))::text],
          'capture_holds: Should answer a replay with the original captures as duplicate');
SELECT is(tap.outcomes(format($$ledger.capture_holds(%L)$$, jsonb_build_array(
              tap.req('hold_id', tap.hid('c-3')::text, 'idempotency_key', 'cap-3a'),
              tap.req('hold_id', tap.hid('c-3')::text, 'idempotency_key', 'cap-3b'),
              tap.req('hold_id', tap.hid('c-3')::text, 'idempotency_key', 'cap-3a'),
              tap.req('hold_id', tap.hid('c-4')::text, 'idempotency_key', 'cap-4'),
              tap.req('hold_id', '01900000-0000-7000-8000-000000000000', 'idempotency_key', 'cap-x'),
              tap.req('hold_id', tap.hid('c-5')::text, 'idempotency_key', 'cap-5', 'amounts', '["11.00", "11.00"]'),
              tap.req('hold_id', 'zz', 'idempotency_key', 'cap-z'),
              tap.req('hold_id', tap.hid('c-6')::text, 'idempotency_key', 'cap-6', 'effective_date', 'monday'),
              tap.req('hold_id', tap.hid('c-7')::text, 'idempotency_key', 'cap-7')))),
          'captured,rejected:DX050,duplicate,rejected:DX051,rejected:DX049,rejected:DX053,rejected:DX019,rejected:DX019,captured',
          'capture_holds: Should reject each bad request with its own DX code (a second capture of one hold DX050) and capture its neighbours');
SELECT is((SELECT count(*)::integer FROM ledger_private.journal AS j
            WHERE j.idempotency_key IN ('hold:' || tap.hid('c-4'), 'hold:' || tap.hid('c-5'),
                                        'hold:' || tap.hid('c-6'))),
          0, 'capture_holds: Should post nothing for a rejected request');
SELECT is((SELECT array_agg(h.status ORDER BY array_position(ARRAY[tap.hid('c-3'), tap.hid('c-5'), tap.hid('c-6')], h.hold_id))
             FROM ledger.list_holds() AS h
            WHERE h.hold_id IN (tap.hid('c-3'), tap.hid('c-5'), tap.hid('c-6'))),
          ARRAY['captured', 'pending', 'pending'],
          'capture_holds: Should leave the holds of rejected requests pending');
SELECT is((SELECT (r.error_code, r.error_field, r.error_message)::text
             FROM ledger.capture_holds(jsonb_build_array(
                  tap.req('hold_id', tap.hid('c-5')::text, 'idempotency_key', 'cap-5',
                          'amounts', '["11.00", "11.00"]'))) AS r),
          ('DX053', 'amounts[0]', 'amounts[0]: 11.00 exceeds the 10.00 held')::text,
          'capture_holds: Should carry the code, field and message capture_hold raises');
SELECT throws_ok($$SELECT * FROM ledger.capture_holds('"one"')$$, 'DX024',
                 'requests: must be a JSON array, got string',
                 'capture_holds: Should refuse requests that are not an array (DX024)');
SELECT throws_ok($$SELECT * FROM ledger.capture_holds(
                       (SELECT jsonb_agg('{}'::jsonb) FROM generate_series(1, 1001)))$$, 'DX024', NULL,
                 'capture_holds: Should refuse more than api_limit(''batch_requests'') requests (DX024)');
SELECT throws_ok($$SELECT * FROM ledger.capture_holds('[]', 'bad tenant!')$$, 'DX019', NULL,
                 'capture_holds: Should refuse a malformed tenant before any request (DX019)');
SELECT e.batch, e.alone
  FROM tap.equivalence('ledger.capture_holds', 'ledger.capture_hold',
           (SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object('hold_id', tap.hid(t.hold), 'idempotency_key',
                                                                  t.key, 'amounts', t.amounts::jsonb))
                             ORDER BY t.ord)
              FROM (VALUES (1, 'c-5', 'k-1', '["1.00", "2.00"]'), (2, 'c-5', 'k-1', '["1.00", "1.00"]'),
                           (3, 'c-5', 'k-2', '["1.00", "1.00"]'), (4, 'c-6', 'k-3', NULL),
                           (5, 'c-6', 'k-3', NULL), (6, 'c-4', 'k-4', NULL)) AS t (ord, hold, key, amounts))) AS e
\gset
SELECT is(:'alone'::text, :'batch'::text,
          'capture_holds: Should answer each request as capture_hold alone, in order');
SELECT is(:'batch'::text, 'rejected:DX009,captured,rejected:DX050,captured,duplicate,rejected:DX051',
          'capture_holds: Should give the expected answers in the equivalence mix');

-- A serialization failure is not a member's rejection: it aborts the whole call.
SELECT ok(pg_get_functiondef('ledger_private.run_batch_requests(text, jsonb, text, text)'::regprocedure)
              ~ 'EXCEPTION WHEN SQLSTATE ''DX000'' THEN'
          AND pg_get_functiondef('ledger_private.batch_posting_results(text, jsonb, text, text)'::regprocedure)
              ~ 'ledger_private\.run_batch_requests\('
          AND pg_get_functiondef('ledger_private.batch_results(text, jsonb, text, anyelement)'::regprocedure)
              ~ 'ledger_private\.run_batch_requests\('
          AND (SELECT bool_and(pg_get_functiondef(f::regprocedure)
                                   ~ 'ledger_private\.(batch_posting_results|batch_results)\(')
                 FROM unnest(ARRAY['ledger.post_journals(jsonb, text)', 'ledger.reverse_journals(jsonb, text)',
                                   'ledger.create_holds(jsonb, text)', 'ledger.capture_holds(jsonb, text)']) AS f),
          'Should run every batch''s requests through one careful path that catches only the DX class (40001 and 40P01 abort the batch for a retry)');

SELECT * FROM finish();
ROLLBACK;
