-- The posting core: the one definition of each check that single, batch (both paths),
-- reversal and FX postings share, the limits they read (api_limit), and the compatibility
-- key of the earlier API. Structure (language, volatility, inlining), happy paths, and each
-- error with its SQLSTATE.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(121);

\ir helpers/fixtures.sql

-- Structure -------------------------------------------------------------------------------
CREATE TEMP TABLE core_function (name text, args text[], returns text, lang text, volatility text)
    ON COMMIT DROP;
INSERT INTO core_function VALUES
    ('api_limit',             ARRAY['text'], 'integer', 'sql', 'immutable'),
    ('is_tenant_name',        ARRAY['text'], 'boolean', 'sql', 'immutable'),
    ('posting_field_problem', ARRAY['text', 'text', 'text', 'text', 'jsonb'], 'text', 'sql', 'immutable'),
    ('check_posting_fields',  ARRAY['text', 'text', 'text', 'text', 'jsonb'], 'void', 'plpgsql', 'immutable'),
    ('check_tenant',          ARRAY['text'], 'void', 'plpgsql', 'immutable'),
    ('check_page_size',       ARRAY['integer'], 'void', 'plpgsql', 'immutable'),
    ('leg_array_problem',     ARRAY['jsonb'], 'text', 'sql', 'immutable'),
    ('normalize_legs',        ARRAY['jsonb'], 'jsonb', 'plpgsql', 'immutable'),
    ('posting_legs',          ARRAY['text', 'jsonb'],
                              'TABLE(leg_no integer, problem text, side text, amount text, ccy text, account_id bigint, allow_negative boolean)',
                              'sql', 'stable'),
    ('summed_posting_legs',  ARRAY['text', 'jsonb'],
                              'TABLE(malformed integer, missing integer, account_ids bigint[], constrained integer[], balanced boolean)',
                              'sql', 'stable'),
    ('check_legs_limits',     ARRAY['bigint[]', 'integer[]'], 'void', 'plpgsql', 'stable'),
    ('fingerprint_of',        ARRAY['jsonb'], 'bytea', 'sql', 'stable'),
    ('posting_fingerprint',   ARRAY['text', 'jsonb', 'date', 'text', 'text', 'jsonb', 'uuid', 'jsonb'], 'bytea', 'sql', 'stable'),
    ('lock_idempotency_key',  ARRAY['text', 'text'], 'void', 'sql', 'volatile'),
    ('claim_idempotency_key', ARRAY['text', 'text', 'text', 'bytea', 'uuid'], 'boolean', 'plpgsql', 'volatile'),
    ('signed_amount',         ARRAY['text', 'numeric'], 'numeric', 'sql', 'immutable'),
    ('unbalanced_currencies', ARRAY['jsonb'], 'text', 'sql', 'immutable'),
    ('normal_balance',        ARRAY['text', 'numeric', 'numeric'], 'numeric', 'sql', 'immutable'),
    ('require_isolation',     ARRAY['text[]', 'text', 'text'], 'void', 'plpgsql', 'stable'),
    ('authorize_write',       ARRAY['text', 'text'], 'ledger_private.principal', 'plpgsql', 'volatile'),  -- it enters the tenant's write fence
    ('account_or_error',      ARRAY['text', 'text', 'text'], 'ledger_private.account', 'plpgsql', 'stable'),
    ('post_fx_journal',       ARRAY['text', 'uuid', 'text', 'text', 'text', 'text', 'text', 'numeric', 'text', 'date', 'text', 'text', 'text'],
                              'uuid', 'plpgsql', 'volatile');

SELECT has_function('ledger_private', f.name, f.args,
                    format('Should have ledger_private.%s(%s)', f.name, array_to_string(f.args, ', ')))
  FROM core_function AS f ORDER BY f.name;
-- Return type, language and volatility of each (tap.function_shape).
SELECT is(tap.function_shape(format('ledger_private.%I(%s)', f.name, array_to_string(f.args, ','))::regprocedure),
          format('%s %s %s', f.returns, f.lang, f.volatility),
          format('Should declare ledger_private.%s as returning %s, in %s, %s', f.name, f.returns, f.lang, f.volatility))
  FROM core_function AS f
 ORDER BY f.name;
SELECT hasnt_function('ledger_private', 'posting_fields_ok', ARRAY['text', 'text', 'text', 'text', 'jsonb'],
                      'Should have no second definition of the field rules');

-- The hot checks are inlined: no call of the helper (nor of api_limit) is left in the plan.
SELECT unalike(tap.plan_text($$
    SELECT ledger_private.posting_field_problem(v.t, v.k, v.m, v.r, v.j)
      FROM (VALUES ('default', 'k', 'memo', 'ref', '{}'::jsonb)) AS v (t, k, m, r, j)$$),
    '%(posting_field_problem|api_limit|is_tenant_name)%',
    'Should inline posting_field_problem, is_tenant_name and api_limit into the caller');
SELECT unalike(tap.plan_text($$
    SELECT ledger_private.leg_array_problem(v.l) FROM (VALUES ('[]'::jsonb)) AS v (l)$$),
    '%(leg_array_problem|api_limit)%', 'Should inline leg_array_problem');
SELECT unalike(tap.plan_text($$
    SELECT l.* FROM ledger_private.posting_legs('default', '[{"account":"X","side":"debit","amount":"1","ccy":"EUR"}]') AS l$$),
    '%posting_legs%', 'Should inline posting_legs into the caller''s query');
SELECT unalike(tap.plan_text($$
    SELECT s.* FROM ledger_private.summed_posting_legs('default', '[{"account":"X","side":"debit","amount":"1","ccy":"EUR"}]') AS s$$),
    '%posting_legs%', 'Should inline summed_posting_legs (and posting_legs) into the caller''s query');
SELECT unalike(tap.plan_text($$
    SELECT ledger_private.posting_fingerprint('post_journal', v.l, NULL, NULL, NULL, '{}', NULL)
      FROM (VALUES ('[]'::jsonb)) AS v (l)$$),
    '%(posting_fingerprint|fingerprint_of)%', 'Should inline posting_fingerprint and fingerprint_of');
SELECT unalike(tap.plan_text($$
    SELECT ledger_private.signed_amount(v.s, v.a) FROM (VALUES ('debit', 1.0)) AS v (s, a)$$),
    '%signed_amount%', 'Should inline signed_amount');

-- api_limit: every limit, by name ---------------------------------------------------------
SELECT results_eq(
    $$SELECT n, ledger_private.api_limit(n)
        FROM unnest(ARRAY['tenant_length', 'idempotency_key_length', 'client_id_length',
                          'memo_length', 'ref_length', 'metadata_bytes', 'legs_min', 'legs_max',
                          'batch_requests', 'page_size']) AS n$$,
    $$VALUES ('tenant_length', 64), ('idempotency_key_length', 255), ('client_id_length', 64),
             ('memo_length', 1000), ('ref_length', 200), ('metadata_bytes', 16384),
             ('legs_min', 2), ('legs_max', 500), ('batch_requests', 1000), ('page_size', 1000)$$,
    'Should hold every limit of the SQL API');
SELECT is(ledger_private.api_limit('no such limit'), NULL, 'Should answer NULL for an unknown limit');

-- Tenants ---------------------------------------------------------------------------------
SELECT ok(ledger_private.is_tenant_name('acme.eu-1_x'), 'Should accept letters, digits, dots, dashes, underscores');
SELECT ok(ledger_private.is_tenant_name(repeat('t', 64)), 'Should accept a 64-character tenant');
SELECT ok(NOT ledger_private.is_tenant_name(repeat('t', 65)), 'Should refuse a 65-character tenant');
SELECT ok(NOT ledger_private.is_tenant_name('-acme'), 'Should refuse a tenant starting with a dash');
SELECT ok(NOT ledger_private.is_tenant_name(''), 'Should refuse an empty tenant');
SELECT ok(NOT ledger_private.is_tenant_name(NULL), 'Should refuse a NULL tenant');
SELECT lives_ok($$SELECT ledger_private.check_tenant('acme')$$, 'Should let a good tenant pass');
SELECT throws_ok($$SELECT ledger_private.check_tenant(repeat('t', 65))$$, 'DX019', NULL,
                 'Should raise DX019 for a tenant over the limit');
SELECT throws_ok($$SELECT ledger_private.check_tenant(NULL)$$, 'DX019', NULL,
                 'Should raise DX019 for a NULL tenant');

-- Isolation and the write preamble ----------------------------------------------------------
SELECT lives_ok($$SELECT ledger_private.require_isolation(ARRAY['read committed', 'serializable'], 'x', 'h')$$,
                'Should let a transaction at one of the levels pass');
SELECT throws_ok($$SELECT ledger_private.require_isolation(ARRAY['read committed'], 'roll_up_balances', 'h')$$,
                 'DX016', 'roll_up_balances runs at READ COMMITTED, this transaction is serializable',
                 'Should raise DX016 naming what runs where, and the transaction''s level');
SELECT lives_ok($$SELECT ledger_private.require_serializable()$$, 'Should let a SERIALIZABLE write pass');
SELECT lives_ok($$SELECT ledger_private.authorize_write('post', 'default')$$,
                'Should let a SERIALIZABLE write of a good tenant pass');
SELECT throws_ok($$SELECT ledger_private.authorize_write('post', 'no tenant')$$, 'DX019', NULL,
                 'Should raise DX019 for a malformed tenant of a write');

-- Page size -------------------------------------------------------------------------------
SELECT lives_ok($$SELECT ledger_private.check_page_size(1)$$, 'Should accept a page of 1');
SELECT lives_ok($$SELECT ledger_private.check_page_size(1000)$$, 'Should accept a page of 1000');
SELECT throws_ok($$SELECT ledger_private.check_page_size(0)$$, 'DX019', NULL, 'Should raise DX019 for a page of 0');
SELECT throws_ok($$SELECT ledger_private.check_page_size(1001)$$, 'DX019',
                 'page_size: must be between 1 and 1000, got 1001', 'Should name the limit from api_limit');
SELECT throws_ok($$SELECT ledger_private.check_page_size(NULL)$$, 'DX019', NULL, 'Should raise DX019 for NULL');

-- Posting fields: one definition, one raiser ----------------------------------------------
SELECT results_eq(
    $$SELECT ledger_private.posting_field_problem(t, k, m, r, j)
        FROM (VALUES (1, 'default', 'k', NULL, NULL, NULL::jsonb),
                     (2, 'default', repeat('k', 255), repeat('m', 1000), repeat('r', 200), '{}'),
                     (3, 'bad tenant', 'k', NULL, NULL, '{}'),
                     (4, 'default', NULL, NULL, NULL, '{}'),
                     (5, 'default', '', NULL, NULL, '{}'),
                     (6, 'default', repeat('k', 256), NULL, NULL, '{}'),
                     (7, 'default', E'k\n', NULL, NULL, '{}'),
                     (8, 'default', 'k', repeat('m', 1001), NULL, '{}'),
                     (9, 'default', 'k', NULL, repeat('r', 201), '{}'),
                     (10, 'default', 'k', NULL, NULL, '[]'),
                     (11, 'default', 'k', NULL, NULL, jsonb_build_object('x', repeat('y', 16400))))
             AS v (n, t, k, m, r, j)
       ORDER BY n$$,
    $$VALUES (NULL::text), (NULL), ('tenant'), ('idempotency_key'), ('idempotency_key'),
             ('idempotency_key'), ('idempotency_key'), ('memo'), ('ref'), ('metadata_type'),
             ('metadata_size')$$,
    'Should name the first field that breaks its rule, NULL when all are fine');
SELECT lives_ok($$SELECT ledger_private.check_posting_fields('default', 'k', 'm', 'r', '{}')$$,
                'Should let good fields pass');
SELECT throws_ok($$SELECT ledger_private.check_posting_fields('bad tenant', 'k', NULL, NULL, '{}')$$,
                 'DX019', NULL, 'Should raise DX019 for the tenant');
SELECT throws_ok($$SELECT ledger_private.check_posting_fields('default', repeat('k', 256), NULL, NULL, '{}')$$,
                 'DX012', 'idempotency_key: must be 1 to 255 printable characters',
                 'Should raise DX012 for the key, naming the limit');
SELECT throws_ok($$SELECT ledger_private.check_posting_fields('default', 'k', repeat('m', 1001), NULL, '{}')$$,
                 'DX019', 'memo: at most 1000 characters, got 1001', 'Should raise DX019 for the memo');
SELECT throws_ok($$SELECT ledger_private.check_posting_fields('default', 'k', NULL, repeat('r', 201), '{}')$$,
                 'DX019', 'ref: at most 200 characters, got 201', 'Should raise DX019 for the ref');
SELECT throws_ok($$SELECT ledger_private.check_posting_fields('default', 'k', NULL, NULL, '"x"')$$,
                 'DX019', 'metadata: must be a JSON object, got string', 'Should raise DX019 for metadata not an object');
SELECT throws_ok($$SELECT ledger_private.check_posting_fields('default', 'k', NULL, NULL,
                                                              jsonb_build_object('x', repeat('y', 16400)))$$,
                 'DX019', NULL, 'Should raise DX019 for metadata over the limit');

-- The legs array, each leg, their resolution ----------------------------------------------
SELECT results_eq(
    $$SELECT ledger_private.leg_array_problem(l)
        FROM (VALUES (1, NULL::jsonb), (2, '{}'), (3, '[1]'), (4, '[1, 2]'),
                     (5, (SELECT jsonb_agg(g) FROM generate_series(1, 500) AS g)),
                     (6, (SELECT jsonb_agg(g) FROM generate_series(1, 501) AS g))) AS v (n, l)
       ORDER BY n$$,
    $$VALUES ('not_array'::text), ('not_array'), ('count'), (NULL), (NULL), ('count')$$,
    'Should tell a non-array and a count outside 2–500 apart');
SELECT throws_ok($$SELECT ledger_private.normalize_legs('{}')$$, 'DX001', NULL, 'Should raise DX001 for a non-array');
SELECT throws_ok($$SELECT ledger_private.normalize_legs('[{}]')$$, 'DX002',
                 'legs: a journal needs 2 to 500 legs, got 1', 'Should raise DX002 naming the limits');

SELECT ledger.create_account('PC-CASH', 'Cash', 'EUR');
SELECT ledger.create_account('PC-WALLET', 'Wallet', 'EUR', 'liability', false);
SELECT results_eq(
    $$SELECT l.leg_no, l.problem, l.side, l.amount, l.ccy, a.code, l.allow_negative
        FROM ledger_private.posting_legs('default', '[
               {"account":"PC-WALLET","side":"debit","amount":"1.50","ccy":"EUR"},
               {"account":"PC-NONE","side":"credit","amount":"1.50","ccy":"EUR"},
               {"account":"PC-CASH","side":"sideways","amount":"1","ccy":"EUR"}]') AS l
        LEFT JOIN ledger_private.account AS a USING (account_id)$$,
    $$VALUES (1, NULL::text, 'debit', '1.50', 'EUR', 'PC-WALLET', false),
             (2, NULL, 'credit', '1.50', 'EUR', NULL, NULL),
             (3, 'side', 'sideways', '1', 'EUR', 'PC-CASH', true)$$,
    'Should resolve each leg in order: its shape problem and its account');
SELECT is((ledger_private.account_or_error('default', 'PC-WALLET', NULL)).allow_negative, false,
          'Should find an account by tenant and code');
SELECT throws_ok($$SELECT ledger_private.account_or_error('other', 'PC-WALLET', NULL)$$, 'DX020', NULL,
                 'Should not find a code the tenant does not have');
SELECT is_empty($$SELECT * FROM ledger_private.posting_legs('other', '[{"account":"PC-CASH","side":"debit","amount":"1","ccy":"EUR"}]')
                  WHERE account_id IS NOT NULL$$,
                'Should look accounts up in the given tenant only');

-- Balance per currency, normal balance ------------------------------------------------------
SELECT is(ledger_private.signed_amount('debit', 2.5), 2.5, 'Should count a debit up');
SELECT is(ledger_private.signed_amount('credit', 2.5), -2.5, 'Should count a credit down');
SELECT is(ledger_private.unbalanced_currencies('[
    {"account":"a","side":"debit","amount":"5","ccy":"EUR"},
    {"account":"b","side":"credit","amount":"5","ccy":"EUR"},
    {"account":"c","side":"debit","amount":"1","ccy":"USD"},
    {"account":"d","side":"credit","amount":"1","ccy":"USD"}]'), NULL,
    'Should find a journal balanced in each of two currencies balanced');
SELECT is(ledger_private.unbalanced_currencies('[
    {"account":"a","side":"debit","amount":"5","ccy":"EUR"},
    {"account":"b","side":"credit","amount":"4","ccy":"EUR"},
    {"account":"c","side":"debit","amount":"1","ccy":"USD"},
    {"account":"d","side":"credit","amount":"3","ccy":"USD"}]'),
    'EUR (debits − credits = 1), USD (debits − credits = -2)',
    'Should list each unbalanced currency with its net, in currency order');
SELECT is(ledger_private.normal_balance('debit', 10, 3), 7::numeric, 'Should read a debit-normal balance as debits − credits');
SELECT is(ledger_private.normal_balance('credit', 10, 3), -7::numeric, 'Should read a credit-normal balance as credits − debits');

-- Fingerprints ----------------------------------------------------------------------------
SELECT is(ledger_private.fingerprint_of('{"b": 1, "a": 2}'),
          sha256(convert_to('{"a": 2, "b": 1}', 'UTF8')),
          'Should hash the canonical JSON text of a request');
SELECT is(ledger_private.posting_fingerprint('post_journal', '[]', tap.day('2026-01-02'), 'm', NULL, NULL, NULL),
          sha256(convert_to(jsonb_build_object('operation', 'post_journal', 'legs', '[]'::jsonb,
                                               'effective_date', tap.day('2026-01-02'), 'memo', 'm',
                                               'ref', NULL, 'metadata', '{}'::jsonb,
                                               'reverses', NULL)::text, 'UTF8')),
          'Should fingerprint the canonical posting request, NULL metadata as {}');
SELECT isnt(ledger_private.posting_fingerprint('post_journal', '[]', NULL, 'm', NULL, '{}', NULL),
            ledger_private.posting_fingerprint('reverse_journal', '[]', NULL, 'm', NULL, '{}', NULL),
            'Should tell operations apart');

-- The key's lock and claim ----------------------------------------------------------------
SELECT lives_ok($$SELECT ledger_private.lock_idempotency_key('default', 'pc-lock')$$, 'Should take the key''s lock');
SELECT ok(EXISTS (SELECT FROM pg_locks AS l
                   WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.granted
                     AND l.classid::integer = hashtext('doublex.idempotency')
                     AND l.objid::integer = hashtext('default/pc-lock')),
          'Should hold the advisory lock (doublex.idempotency, tenant/key) to the end of the transaction');
SELECT ok(ledger_private.claim_idempotency_key('default', 'pc-claim', 'test', '\x01', ledger_private.uuid_v7()),
          'Should claim a new key');
SELECT ok(NOT ledger_private.claim_idempotency_key('default', 'pc-claim', 'test', '\x02', ledger_private.uuid_v7()),
          'Should not claim a key taken already');
SELECT is((SELECT s.fingerprint FROM ledger_private.idempotency_sentinel AS s
            WHERE s.tenant = 'default' AND s.idempotency_key = 'pc-claim'), '\x01'::bytea,
          'Should keep the first claim''s fingerprint');

-- Every posting path stores the same fingerprint for the same request --------------------
SELECT ledger.post_journal('pc-single', '[{"account":"PC-CASH","side":"debit","amount":"3.00","ccy":"EUR"},
                                          {"account":"PC-WALLET","side":"credit","amount":"3.00","ccy":"EUR"}]',
                           tap.day('2026-01-05'), 'memo', 'ref', '{"a": 1}');
SELECT ledger.post_journals(tap.dates('[{"idempotency_key": "pc-batch", "effective_date": "2026-01-05",
                               "memo": "memo", "ref": "ref", "metadata": {"a": 1},
                               "legs": [{"account":"PC-CASH","side":"debit","amount":"3.00","ccy":"EUR"},
                                        {"account":"PC-WALLET","side":"credit","amount":"3.00","ccy":"EUR"}]}]')::jsonb);
SELECT is((SELECT array_agg(DISTINCT s.fingerprint) FROM ledger_private.idempotency_sentinel AS s
            WHERE s.idempotency_key IN ('pc-single', 'pc-batch')),
          ARRAY[ledger_private.posting_fingerprint(
                    'post_journal', '[{"account":"PC-CASH","side":"debit","amount":"3.00","ccy":"EUR"},
                                      {"account":"PC-WALLET","side":"credit","amount":"3.00","ccy":"EUR"}]',
                    tap.day('2026-01-05'), 'memo', 'ref', '{"a": 1}', NULL)],
          'Should store posting_fingerprint for a single and a batch posting alike');
SELECT is((SELECT r.status FROM ledger.post_journals(tap.dates('[{"idempotency_key": "pc-single", "effective_date": "2026-01-05",
                               "memo": "memo", "ref": "ref", "metadata": {"a": 1},
                               "legs": [{"account":"PC-CASH","side":"debit","amount":"3.00","ccy":"EUR"},
                                        {"account":"PC-WALLET","side":"credit","amount":"3.00","ccy":"EUR"}]}]')::jsonb) AS r),
          'duplicate', 'Should answer a batch replay of a single posting as a duplicate');
SELECT is((SELECT r.error_code FROM ledger.post_journals('[{"idempotency_key": "pc-batch", "memo": "other",
                               "legs": [{"account":"PC-CASH","side":"debit","amount":"3.00","ccy":"EUR"},
                                        {"account":"PC-WALLET","side":"credit","amount":"3.00","ccy":"EUR"}]}]') AS r),
          'DX011', 'Should reject a different request under a batch''s key with DX011');
SELECT lives_ok($$SELECT ledger.post_journal('pc-batch', '[{"account":"PC-CASH","side":"debit","amount":"3.00","ccy":"EUR"},
                                          {"account":"PC-WALLET","side":"credit","amount":"3.00","ccy":"EUR"}]',
                           tap.day('2026-01-05'), 'memo', 'ref', '{"a": 1}')$$,
                'Should let a single posting replay a batch''s key');
SELECT is((ledger.post_journal('pc-batch', '[{"account":"PC-CASH","side":"debit","amount":"3.00","ccy":"EUR"},
                                          {"account":"PC-WALLET","side":"credit","amount":"3.00","ccy":"EUR"}]',
                           tap.day('2026-01-05'), 'memo', 'ref', '{"a": 1}')).status, 'duplicate',
          'Should answer a single replay of a batch posting as a duplicate');
SELECT throws_ok($$SELECT ledger.post_journals(
                     (SELECT jsonb_agg('{}'::jsonb) FROM generate_series(1, 1001)))$$,
                 'DX024', 'requests: at most 1000 per batch, got 1001', 'Should name the batch limit from api_limit');
SELECT throws_ok($$SELECT ledger.post_journal('pc-legs', (SELECT jsonb_agg(g) FROM generate_series(1, 501) AS g))$$,
                 'DX002', NULL, 'Should reject 501 legs with DX002 on the single path');

-- FX journals go through the posting path ---------------------------------------------------
SELECT ledger.create_account('PC-USD', 'USD wallet', 'USD');
SELECT ledger.create_account('FX-CLEARING-EUR', 'Clearing EUR', 'EUR', 'equity', true);
CREATE TEMP TABLE pc_settlement ON COMMIT DROP AS SELECT ledger_private.uuid_v7() AS settlement_id;
CREATE TEMP TABLE pc_fx_journal ON COMMIT DROP AS
SELECT ledger_private.post_fx_journal('default', s.settlement_id, 'pc-fx', 'source', 'PC-CASH',
                                      'FX-CLEARING-EUR', 'credit', 2.00, 'EUR', tap.day('2026-01-06'),
                                      'fx memo', NULL, 'test:fx') AS journal_id
  FROM pc_settlement AS s;
SELECT is((SELECT j.kind || ' ' || j.idempotency_key || ' ' || (j.metadata ->> 'fx_idempotency_key')
                  || ' ' || j.memo || ' ' || j.effective_date
             FROM ledger_private.journal AS j JOIN pc_fx_journal USING (journal_id)),
          'fx fx/' || (SELECT settlement_id FROM pc_settlement) || tap.dates('/source pc-fx fx memo 2026-01-06'),
          'Should post an FX journal of kind fx under its internal key, with the settlement''s memo, date and key');
SELECT results_eq(
    $$SELECT a.code, l.side, l.amount FROM ledger_private.leg AS l
        JOIN ledger_private.account AS a USING (account_id)
        JOIN ledger_private.journal AS j USING (journal_id)
       WHERE j.idempotency_key = 'fx/' || (SELECT settlement_id FROM pc_settlement) || '/source'
       ORDER BY l.leg_no$$,
    $$VALUES ('PC-CASH', 'credit', 2.00), ('FX-CLEARING-EUR', 'debit', 2.00)$$,
    'Should move the amount out of from_code on from_side and into to_code on the other side');
SELECT throws_ok($$SELECT ledger_private.post_fx_journal('default', ledger_private.uuid_v7(), 'pc-fx2',
                      'source', 'PC-WALLET', 'FX-CLEARING-EUR', 'debit', 1000.00, 'EUR', tap.day('2026-01-06'),
                      NULL, NULL, 'test:fx')$$,
                 'DX010', NULL, 'Should apply every posting rule to an FX journal (DX010 on an overdraft)');

-- The compatibility key of the earlier API ------------------------------------------------
SELECT has_function('ledger', 'client_idempotency_key', ARRAY['text', 'text'],
                    'Should have ledger.client_idempotency_key(client_id, idempotency_key)');
SELECT is(ledger.client_idempotency_key('shop-7', 'order-1'), 'shop-7:order-1', 'Should join client id and key with a colon');
SELECT is(ledger.client_idempotency_key(repeat('c', 64), repeat('k', 190)),
          repeat('c', 64) || ':' || repeat('k', 190), 'Should accept a 64-character client id and a 190-character key');
SELECT throws_ok($$SELECT ledger.client_idempotency_key(repeat('c', 65), 'k')$$, 'DX019',
                 'client_id: 1 to 64 printable characters, no colon', 'Should raise DX019 for a client id over 64');
SELECT throws_ok($$SELECT ledger.client_idempotency_key('', 'k')$$, 'DX019', NULL, 'Should raise DX019 for an empty client id');
SELECT throws_ok($$SELECT ledger.client_idempotency_key('a:b', 'k')$$, 'DX019', NULL, 'Should raise DX019 for a colon');
SELECT throws_ok($$SELECT ledger.client_idempotency_key(E'a\tb', 'k')$$, 'DX019', NULL, 'Should raise DX019 for a control character');
SELECT throws_ok($$SELECT ledger.client_idempotency_key(NULL, 'k')$$, 'DX019', NULL, 'Should raise DX019 for NULL');
SELECT throws_ok($$SELECT ledger.client_idempotency_key('c', repeat('k', 191))$$, 'DX012',
                 'idempotency_key: at most 190 characters with client_id', 'Should raise DX012 for a key over 190');
SELECT throws_ok($$SELECT ledger.client_idempotency_key('c', NULL)$$, 'DX012', NULL, 'Should raise DX012 for a NULL key');

SELECT * FROM finish();
ROLLBACK;
