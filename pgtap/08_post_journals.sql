-- ledger.post_journals: one result per request, in order; rejected requests write nothing;
-- keys repeated inside a batch replay; empty and oversized batches.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(39);
\ir helpers/fixtures.sql

SELECT has_function('ledger', 'post_journals', ARRAY['jsonb', 'text'],
                    'Should have ledger.post_journals(requests, tenant)');
SELECT function_returns('ledger', 'post_journals', ARRAY['jsonb', 'text'], 'setof ledger.batch_item_result',
                        'Should return one batch_item_result per request');
SELECT is_definer('ledger', 'post_journals', ARRAY['jsonb', 'text'], 'Should be SECURITY DEFINER');

SELECT ledger.create_account('B-CASH', 'Cash', 'EUR');
SELECT ledger.create_account('B-REV', 'Revenue', 'EUR', 'income');
SELECT ledger.create_account('B-CUST', 'Customer', 'EUR', 'liability', false);

-- One request of a batch: its key, its legs and any other fields.
CREATE FUNCTION tap.request(p_key text, p_legs jsonb, p_fields jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT jsonb_build_object('idempotency_key', p_key, 'legs', p_legs) || p_fields $$;

CREATE TEMP TABLE batch_out AS
SELECT * FROM ledger.post_journals(jsonb_build_array(
    tap.request('bt-1', tap.pair('B-CASH', 'B-REV', '10.00'), '{"memo": "first"}'),
    tap.request('bt-2', tap.legs('B-CASH debit 1.00 EUR', 'B-REV credit 2.00 EUR')),
    tap.request('bt-1', tap.pair('B-CASH', 'B-REV', '10.00'), '{"memo": "first"}'),
    tap.request('bt-1', tap.pair('B-CASH', 'B-REV', '10.00'), '{"memo": "changed"}'),
    tap.request('bt-3', tap.pair('B-CUST', 'B-CASH', '5.00')),
    tap.request('bt-4', '[]', '{"effective_date": "2026-02-30"}'),
    '"not an object"'::jsonb,
    tap.request('bt-5', tap.pair('B-REV', 'B-CASH', '3.00'),
                jsonb_build_object('effective_date', tap.day('2026-01-15'), 'ref', 'R-5'))));

SELECT is((SELECT count(*) FROM batch_out), 8::bigint, 'Should return one result per request');
SELECT results_eq(
    'SELECT position, status FROM batch_out ORDER BY position',
    $$VALUES (0, 'posted'), (1, 'rejected'), (2, 'duplicate'), (3, 'rejected'),
             (4, 'rejected'), (5, 'rejected'), (6, 'rejected'), (7, 'posted')$$,
    'Should keep request order: posted, rejected, duplicate, …');
SELECT is((SELECT error_code FROM batch_out WHERE position = 1), 'DX009',
          'Should reject an unbalanced request with DX009');
SELECT is((SELECT error_field FROM batch_out WHERE position = 1), 'legs',
          'Should name the field of the rejection');
SELECT is((SELECT journal_id FROM batch_out WHERE position = 2),
          (SELECT journal_id FROM batch_out WHERE position = 0),
          'Should answer a key repeated with the same request as a duplicate of the first');
SELECT is((SELECT error_code FROM batch_out WHERE position = 3), 'DX011',
          'Should reject a key repeated with a different request with DX011');
SELECT is((SELECT error_code FROM batch_out WHERE position = 4), 'DX010',
          'Should reject an overdraft of a no-negative account with DX010');
SELECT is((SELECT error_code FROM batch_out WHERE position = 5), 'DX019',
          'Should reject an impossible effective_date with DX019');
SELECT is((SELECT error_code FROM batch_out WHERE position = 6), 'DX024',
          'Should reject a request that is not an object with DX024');
SELECT ok((SELECT bool_and(journal_id IS NULL AND error_message IS NOT NULL)
             FROM batch_out WHERE status = 'rejected'),
          'Should give rejected requests no journal and a message');
SELECT is((SELECT effective_date FROM batch_out WHERE position = 7), tap.day('2026-01-15'),
          'Should keep a request''s effective date');

SELECT is((SELECT count(*) FROM ledger_private.journal
            WHERE idempotency_key IN ('bt-1', 'bt-2', 'bt-3', 'bt-4', 'bt-5')), 2::bigint,
          'Should write journals only for the posted requests');
SELECT is((SELECT count(*) FROM ledger_private.idempotency_sentinel
            WHERE idempotency_key IN ('bt-2', 'bt-3', 'bt-4')), 0::bigint,
          'Should leave no idempotency key behind for rejected requests');
SELECT is((SELECT balance FROM ledger.get_balance('B-CASH')), 7.00::numeric,
          'Should move only the posted amounts (10.00 in, 3.00 out)');
SELECT is((SELECT balance FROM ledger.get_balance('B-CUST')), 0.00::numeric,
          'Should leave the rejected overdraft unposted');

-- The corrected request may reuse the key of a rejected one.
SELECT is((SELECT status FROM ledger.post_journals(jsonb_build_array(
              tap.request('bt-2', tap.pair('B-CASH', 'B-REV', '2.00'))))), 'posted',
          'Should accept the corrected request under a rejected request''s key');

-- The fast path (a clean batch, written set-based) posts exactly what the careful path
-- would: the same rows, the same fingerprints, the non-negative policy request by request.
SELECT ledger.create_account('B-WALLET', 'Wallet', 'EUR', 'liability', false);
SELECT ledger.create_account('B-WALLET2', 'Wallet 2', 'EUR', 'liability', false);
CREATE TEMP TABLE fast_out AS
SELECT * FROM ledger.post_journals(jsonb_build_array(
    tap.request('fp-1', tap.pair('B-CASH', 'B-WALLET', '10'),
                jsonb_build_object('effective_date', tap.day('2026-01-20'), 'memo', 'fund', 'ref', 'F-1',
                                   'metadata', jsonb_build_object('batch', 1))),
    tap.request('fp-2', tap.pair('B-WALLET', 'B-CASH', '10.00'))));
SELECT results_eq(
    $$SELECT f.status, f.effective_date, j.journal_id IS NOT NULL FROM fast_out AS f
        LEFT JOIN ledger_private.journal AS j USING (journal_id) ORDER BY f.position$$,
    $$VALUES ('posted'::text, tap.day('2026-01-20'), true),
             ('posted', (now() AT TIME ZONE 'UTC')::date, true)$$,
    'Should post a clean batch that funds a no-negative account and then spends it, in order');
SELECT results_eq(
    $$SELECT l.amount::text, l.tenant, l.effective_date FROM ledger_private.leg AS l
        JOIN fast_out AS f USING (journal_id) WHERE f.position = 0 ORDER BY l.leg_no$$,
    $$VALUES ('10.00'::text, 'default'::text, tap.day('2026-01-20')), ('10.00', 'default', tap.day('2026-01-20'))$$,
    'Should store a batch leg at the currency scale with its journal''s tenant and date');
SELECT is((SELECT balance FROM ledger.get_balance('B-WALLET')), 0.00::numeric,
          'Should leave the no-negative account at zero');
SELECT results_eq(
    $$SELECT status, journal_id FROM ledger.post_journal('fp-1', tap.pair('B-CASH', 'B-WALLET', '10'),
                                                        tap.day('2026-01-20'), 'fund', 'F-1', '{"batch": 1}')$$,
    $$SELECT 'duplicate'::text, journal_id FROM fast_out WHERE position = 0$$,
    'Should answer post_journal of a batch-posted request as its duplicate (same fingerprint)');
SELECT is(current_setting('doublex.checked_inline'), 'off',
          'Should stop vouching for new rows when the batch returns');

CREATE TEMP TABLE ordered_out AS
SELECT * FROM ledger.post_journals(jsonb_build_array(
    tap.request('fp-3', tap.pair('B-WALLET2', 'B-CASH', '5.00')),
    tap.request('fp-4', tap.pair('B-CASH', 'B-WALLET2', '8.00')),
    tap.request('fp-5', tap.pair('B-WALLET2', 'B-CASH', '8.00'))));
SELECT results_eq(
    'SELECT position, status, error_code FROM ordered_out ORDER BY position',
    $$VALUES (0, 'rejected'::text, 'DX010'::text), (1, 'posted', NULL), (2, 'posted', NULL)$$,
    'Should reject an overdraft even when a later request of the batch would cover it');
SELECT is((SELECT balance FROM ledger.get_balance('B-WALLET2')), 0.00::numeric,
          'Should apply the batch''s other requests in order');
SELECT is((SELECT count(*) FROM ledger_private.idempotency_sentinel WHERE idempotency_key = 'fp-3'),
          0::bigint, 'Should write nothing for the rejected request');

-- A client's retry inside a clean batch: the replay is answered from its sentinel and the
-- new requests still go the fast way (no request takes run_batch_requests, the careful
-- path); a replay moves no balance, so it does not count against the account's limits.
SET LOCAL track_functions = 'all';
CREATE TEMP TABLE replay_out AS
SELECT * FROM ledger.post_journals(jsonb_build_array(
    tap.request('fp-2', tap.pair('B-WALLET', 'B-CASH', '10.00')),
    tap.request('fp-6', tap.pair('B-CASH', 'B-WALLET', '3.00'))));
SELECT results_eq(
    'SELECT r.position, r.status, r.journal_id = f.journal_id, r.error_code FROM replay_out AS r
       LEFT JOIN fast_out AS f ON f.position = 1 ORDER BY r.position',
    $$VALUES (0, 'duplicate'::text, true, NULL::text), (1, 'posted', false, NULL)$$,
    'Should answer a replay inside a batch with its original journal and post the new request');
SELECT is((SELECT balance FROM ledger.get_balance('B-WALLET')), 3.00::numeric,
          'Should move the balance by the new request only');
SELECT is((SELECT calls FROM pg_stat_xact_user_functions
            WHERE schemaname = 'ledger_private' AND funcname = 'run_batch_requests'), NULL,
          'Should answer a batch with a replay on the fast path (no careful path)');

-- Replaying a whole batch answers every posted request as a duplicate.
SELECT results_eq(
    $$SELECT status FROM ledger.post_journals(jsonb_build_array(
        tap.request('bt-5', tap.pair('B-REV', 'B-CASH', '3.00'),
                    jsonb_build_object('effective_date', tap.day('2026-01-15'), 'ref', 'R-5'))))$$,
    $$VALUES ('duplicate')$$,
    'Should answer a replayed batch request with duplicate');

SELECT is_empty('SELECT * FROM ledger.post_journals(''[]'')', 'Should accept an empty batch and return nothing');

SELECT throws_ok(
    $$SELECT * FROM ledger.post_journals((SELECT jsonb_agg(jsonb_build_object('idempotency_key', 'x' || g))
                                           FROM generate_series(1, 1001) AS g))$$,
    'DX024', NULL, 'Should refuse a batch over 1000 requests with DX024');
SELECT lives_ok(
    $$SELECT * FROM ledger.post_journals((SELECT jsonb_agg(jsonb_build_object('idempotency_key', 'y' || g))
                                           FROM generate_series(1, 1000) AS g))$$,
    'Should accept a batch of exactly 1000 requests');
SELECT throws_ok($$SELECT * FROM ledger.post_journals('{"idempotency_key": "z"}')$$, 'DX024', NULL,
                 'Should refuse requests that are not an array with DX024');
SELECT throws_ok($$SELECT * FROM ledger.post_journals(NULL)$$, 'DX024', NULL,
                 'Should refuse NULL requests with DX024');
SELECT throws_ok($$SELECT * FROM ledger.post_journals('[]', 'bad tenant!')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant with DX019');

-- A request that is not an object, or whose effective_date is not a date, is that request's
-- rejection on the careful path (ledger_private.check_batch_request); the others still post.
SELECT results_eq(
    $$SELECT r.position, r.status, r.error_code, r.error_field, r.error_message
        FROM ledger.post_journals('[
          "not an object",
          {"idempotency_key": "bd-1", "effective_date": "2026-02-30",
           "legs": [{"account":"B-CASH","side":"debit","amount":"1.00","ccy":"EUR"},
                    {"account":"B-WALLET","side":"credit","amount":"1.00","ccy":"EUR"}]},
          {"idempotency_key": "bd-2", "effective_date": 5,
           "legs": [{"account":"B-CASH","side":"debit","amount":"1.00","ccy":"EUR"},
                    {"account":"B-WALLET","side":"credit","amount":"1.00","ccy":"EUR"}]},
          {"idempotency_key": "bd-3",
           "legs": [{"account":"B-CASH","side":"debit","amount":"1.00","ccy":"EUR"},
                    {"account":"B-WALLET","side":"credit","amount":"1.00","ccy":"EUR"}]}]'::jsonb) AS r$$,
    $$VALUES (0, 'rejected', 'DX024', 'requests[0]', 'requests[0]: must be an object'),
             (1, 'rejected', 'DX019', 'effective_date', 'effective_date: "2026-02-30" is not a date (YYYY-MM-DD)'),
             (2, 'rejected', 'DX019', 'effective_date', 'effective_date: 5 is not a date (YYYY-MM-DD)'),
             (3, 'posted', NULL, NULL, NULL)$$,
    'Should reject a request that is not an object (DX024) or has no date (DX019) and post the others');
-- The fast path agrees: a date written as a number is refused, alone in a clean batch too.
SELECT results_eq(
    format($$SELECT r.position, r.status, r.error_code, r.error_message
               FROM ledger.post_journals(jsonb_build_array(jsonb_build_object(
                        'idempotency_key', 'bd-4', 'effective_date', %s,
                        'legs', tap.pair('B-WALLET', 'B-CASH', '1.00')))) AS r$$,
           to_char(ledger.business_date(), 'YYYYMMDD')),
    format($$VALUES (0, 'rejected', 'DX019', 'effective_date: %s is not a date (YYYY-MM-DD)')$$,
           to_char(ledger.business_date(), 'YYYYMMDD')),
    'Should reject a date written as a number in a batch that is otherwise clean (DX019), as the careful path does');

SELECT * FROM finish();
ROLLBACK;
