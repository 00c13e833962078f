-- Holds and limits (issue #17): create_hold, capture_hold (whole and partial), void_hold,
-- expiry (by the clock and by the sweep), their exclusivity and idempotency with each
-- error by SQLSTATE; available balances; min_balance / max_balance and allow_negative =
-- false as min_balance 0, enforced for holds, postings, batches and direct INSERTs.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(95);
\ir helpers/fixtures.sql

-- Structure -----------------------------------------------------------------------------
CREATE TEMP TABLE hold_api (name text, args text[], returns text) ON COMMIT DROP;
INSERT INTO hold_api VALUES
    ('create_hold', ARRAY['text', 'jsonb', 'timestamp with time zone', 'text', 'text', 'jsonb', 'jsonb', 'text'],
     'ledger.hold_result'),
    ('capture_hold', ARRAY['uuid', 'text', 'jsonb', 'date', 'jsonb', 'text'], 'ledger.hold_resolution_result'),
    ('void_hold', ARRAY['uuid', 'text', 'text'], 'ledger.hold_resolution_result'),
    ('get_hold', ARRAY['uuid', 'text'], 'ledger.hold_info'),
    ('list_holds', ARRAY['text', 'text', 'uuid', 'integer', 'text'], 'setof ledger.hold_info'),
    ('expire_holds', ARRAY['text'], 'integer'),
    ('set_account_limits', ARRAY['text', 'numeric', 'numeric', 'text'], 'ledger.available_balance'),
    ('get_available_balance', ARRAY['text', 'text'], 'ledger.available_balance');
SELECT function_returns('ledger', name, args, returns, format('Should have ledger.%s returning %s', name, returns))
  FROM hold_api ORDER BY name;
SELECT ok(bool_and(p.prosecdef AND p.proconfig = ARRAY['search_path=pg_catalog, pg_temp']
                   AND has_function_privilege('doublex_api', p.oid, 'EXECUTE')
                   AND NOT has_function_privilege('public', p.oid, 'EXECUTE')
                   AND obj_description(p.oid, 'pg_proc') IS NOT NULL),
          'Should make every hold function SECURITY DEFINER with a pinned search_path, a COMMENT, EXECUTE for doublex_api only')
  FROM hold_api AS h JOIN pg_proc AS p ON p.proname = h.name AND p.pronamespace = 'ledger'::regnamespace;

-- Fixtures: a wallet (liability, credit-normal) that may not go negative, a house cash account.
SELECT tap.create_accounts('CASH EUR asset', 'WALLET EUR liability non-negative',
                           'MERCHANT EUR liability', 'CARD EUR liability', 'ESCROW EUR liability');
SELECT ledger.post_journal('fund', tap.pair('CASH', 'WALLET', '100.00'));
CREATE FUNCTION tap.spend(p_amount text, p_from text DEFAULT 'WALLET') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT tap.pair(p_from, 'MERCHANT', p_amount) $$;
CREATE FUNCTION tap.hid(p_key text) RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT h.hold_id FROM ledger_private.hold AS h WHERE h.idempotency_key = p_key $$;
CREATE FUNCTION tap.avail(p_account text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('posted=%s pd=%s pc=%s available=%s', b.posted, b.pending_debits, b.pending_credits, b.available)
      FROM ledger.get_available_balance(p_account) AS b
$$;

-- create_hold ----------------------------------------------------------------------------
SELECT is((SELECT status FROM ledger.create_hold('h1', tap.spend('30.00'), memo => 'card auth')),
          'pending', 'create_hold: Should answer pending');
SELECT is(tap.avail('WALLET'), 'posted=100.00 pd=30.00 pc=0.00 available=70.00',
          'get_available_balance: Should count a pending debit against a credit-normal account');
SELECT is(tap.avail('MERCHANT'), 'posted=0.00 pd=0.00 pc=30.00 available=0.00',
          'get_available_balance: Should not count a pending leg that increases the balance');
SELECT is((SELECT balance FROM ledger.get_balance('WALLET')), 100.00::numeric,
          'get_balance: Should leave the posted balance alone');
SELECT is((SELECT (status, hold_id) FROM ledger.create_hold('h1', tap.spend('30.00'), memo => 'card auth')),
          ('duplicate'::text, tap.hid('h1')), 'create_hold: Should answer a replay with the same hold as duplicate');
SELECT throws_ok($$SELECT ledger.create_hold('h1', tap.spend('31.00'))$$, 'DX011', NULL,
                 'create_hold: Should refuse the key reused for another request (DX011)');
SELECT lives_ok($$SELECT ledger.post_journal('h1', tap.pair('CASH', 'ESCROW', '1.00'))$$,
                'Should keep hold keys apart from journal keys (the same string posts a journal)');
SELECT throws_ok($$SELECT ledger.create_hold('h-over', tap.spend('70.01'))$$, 'DX010', NULL,
                 'create_hold: Should refuse a hold beyond the available balance (pending counts)');
SELECT throws_like($$SELECT ledger.create_hold('h-over', tap.spend('70.01'))$$,
                   '%insufficient funds on WALLET%', 'create_hold: Should name the account');
SELECT lives_ok($$SELECT ledger.create_hold('h2', tap.spend('70.00'))$$,
                'create_hold: Should allow a hold up to the available balance');
SELECT throws_ok($$SELECT ledger.post_journal('p-over', tap.spend('0.01'))$$, 'DX010', NULL,
                 'post_journal: Should refuse a posting that the pending holds leave no room for');
SELECT is((SELECT status FROM ledger.post_journals(jsonb_build_array(
              jsonb_build_object('idempotency_key', 'b-over', 'legs', tap.spend('0.01'))))),
          'rejected', 'post_journals: Should reject it in a batch too (fast path defers to the careful one)');
SELECT throws_ok($$SELECT ledger.create_hold('h-bad', '[{"account":"WALLET","side":"debit","amount":"1.00","ccy":"EUR"},
                                                        {"account":"MERCHANT","side":"credit","amount":"2.00","ccy":"EUR"}]')$$,
                 'DX009', NULL, 'create_hold: Should refuse unbalanced legs (DX009)');
SELECT throws_ok($$SELECT ledger.create_hold('h-bad', '[{"account":"WALLET","side":"debit","amount":"1.00","ccy":"EUR"}]')$$,
                 'DX002', NULL, 'create_hold: Should refuse a single leg (DX002)');
SELECT throws_ok($$SELECT ledger.create_hold('h-bad', tap.pair('NOPE', 'MERCHANT', '1.00'))$$,
                 'DX006', NULL, 'create_hold: Should refuse an unknown account (DX006)');
SELECT throws_ok($$SELECT ledger.create_hold('h-bad', tap.pair('CASH', 'MERCHANT', '1.001'))$$,
                 'DX004', NULL, 'create_hold: Should refuse excess decimals (DX004)');
SELECT throws_ok($$SELECT ledger.create_hold('h-bad', tap.pair('CASH', 'MERCHANT', '-1'))$$,
                 'DX003', NULL, 'create_hold: Should refuse a malformed amount (DX003)');
SELECT throws_ok($$SELECT ledger.create_hold('h-bad', tap.pair('CASH', 'MERCHANT', '1', 'USD'))$$,
                 'DX008', NULL, 'create_hold: Should refuse a leg in another currency than its account (DX008)');
SELECT throws_ok($$SELECT ledger.create_hold('', tap.pair('CASH', 'MERCHANT', '1'))$$,
                 'DX012', NULL, 'create_hold: Should refuse an empty key (DX012)');
SELECT throws_ok($$SELECT ledger.create_hold('h-bad', tap.pair('CASH', 'MERCHANT', '1'), memo => repeat('m', 1001))$$,
                 'DX019', NULL, 'create_hold: Should refuse an over-long memo (DX019)');
SELECT throws_ok($$SELECT ledger.create_hold('h-bad', tap.pair('CASH', 'MERCHANT', '1'), expires_at => now() - interval '1 s')$$,
                 'DX055', NULL, 'create_hold: Should refuse an expires_at in the past (DX055)');
SELECT is((SELECT created_by FROM ledger.get_hold(tap.hid('h1'))), ledger_private.admin_actor(),
          'create_hold: Should record its actor');

-- capture_hold ---------------------------------------------------------------------------
SELECT throws_ok(format($$SELECT ledger.capture_hold(tap.hid('h1'), 'c1', %L)$$, t.amounts), t.code, NULL,
                 t.description)
  FROM (VALUES
    ('["40.00", "40.00"]', 'DX053',
     'capture_hold: Should refuse an amount above what the leg holds (DX053)'),
    ('["10.00"]', 'DX053',
     'capture_hold: Should refuse amounts that do not match the legs (DX053)'),
    ('"10.00"', 'DX053',
     'capture_hold: Should refuse amounts that are not an array (DX053)'),
    ('["10.00", "x"]', 'DX053',
     'capture_hold: Should refuse a malformed amount (DX053)'),
    ('["10.00", "0"]', 'DX053',
     'capture_hold: Should refuse a capture left with one leg (DX053)'),
    ('["10.00", "9.00"]', 'DX009',
     'capture_hold: Should refuse amounts that unbalance the journal (DX009)')
       ) AS t (amounts, code, description);
SELECT throws_ok($$SELECT ledger.capture_hold('00000000-0000-0000-0000-000000000000', 'c1')$$, 'DX049', NULL,
                 'capture_hold: Should refuse an unknown hold (DX049)');
SELECT is((SELECT status FROM ledger.capture_hold(tap.hid('h1'), 'c1', '["25.00", "25.00"]')),
          'captured', 'capture_hold: Should capture part of a hold');
SELECT is(tap.avail('WALLET'), 'posted=75.00 pd=70.00 pc=0.00 available=5.00',
          'capture_hold: Should post the captured part and release the rest');
SELECT is((SELECT j.legs -> 0 ->> 'amount' FROM ledger.get_journal(
              (SELECT journal_id FROM ledger.get_hold(tap.hid('h1')))) AS j), '25.00',
          'capture_hold: Should post a journal with the captured amounts');
SELECT is((SELECT (memo, created_by, idempotency_key) FROM ledger_private.journal
            WHERE journal_id = (SELECT journal_id FROM ledger.get_hold(tap.hid('h1')))),
          ('card auth'::text, ledger_private.admin_actor(), 'hold:' || tap.hid('h1')),
          'capture_hold: Should carry the hold''s memo, the actor, and the key hold:<hold_id>');
SELECT is((SELECT (status, journal_id) FROM ledger.capture_hold(tap.hid('h1'), 'c1', '["25.00", "25.00"]')),
          ('duplicate'::text, (SELECT journal_id FROM ledger.get_hold(tap.hid('h1')))),
          'capture_hold: Should answer a replay with the same journal as duplicate');
SELECT is((SELECT status FROM ledger.get_hold(tap.hid('h1'))), 'captured', 'get_hold: Should read captured');

-- void_hold ------------------------------------------------------------------------------
SELECT is((SELECT status FROM ledger.void_hold(tap.hid('h2'), 'v2')), 'voided', 'void_hold: Should void a pending hold');
SELECT is(tap.avail('WALLET'), 'posted=75.00 pd=0.00 pc=0.00 available=75.00',
          'void_hold: Should release the whole hold');
SELECT is((SELECT status FROM ledger.void_hold(tap.hid('h2'), 'v2')), 'duplicate',
          'void_hold: Should answer a replay as duplicate');
-- Refusals after a capture (h1) and after a void (h2): captures and voids exclude each
-- other, and share a key space.
SELECT throws_ok(t.call, t.code, NULL, t.description)
  FROM (VALUES
    ($$SELECT ledger.capture_hold(tap.hid('h1'), 'c1')$$, 'DX011',
     'capture_hold: Should refuse its key reused for another request (DX011)'),
    ($$SELECT ledger.capture_hold(tap.hid('h1'), 'c1-again')$$, 'DX050',
     'capture_hold: Should refuse a second capture (DX050)'),
    ($$SELECT ledger.void_hold(tap.hid('h1'), 'v1')$$, 'DX050',
     'void_hold: Should refuse a void after a capture (DX050)'),
    ($$SELECT ledger.void_hold(tap.hid('h2'), 'v2-again')$$, 'DX051',
     'void_hold: Should refuse a second void (DX051)'),
    ($$SELECT ledger.capture_hold(tap.hid('h2'), 'c2')$$, 'DX051',
     'capture_hold: Should refuse a capture after a void (DX051)'),
    ($$SELECT ledger.void_hold(tap.hid('h1'), 'c1')$$, 'DX011',
     'void_hold: Should refuse a capture''s key (captures and voids share a key space, DX011)')
       ) AS t (call, code, description);
SELECT lives_ok($$SELECT ledger.create_hold('c1', tap.spend('1.00'))$$,
                'Should keep capture keys apart from hold keys');
SELECT is((SELECT (resolved_by IS NOT NULL, resolved_at IS NOT NULL) FROM ledger.get_hold(tap.hid('h2'))),
          (true, true), 'void_hold: Should record who voided it and when');

-- Expiry ---------------------------------------------------------------------------------
SELECT lives_ok($$SELECT ledger.create_hold('h3', tap.spend('50.00'), expires_at => clock_timestamp() + interval '30 ms')$$,
                'create_hold: Should take an expires_at');
SELECT is(tap.avail('WALLET'), 'posted=75.00 pd=51.00 pc=0.00 available=24.00', 'Should count it until it expires');
SELECT pg_sleep(0.1);
SELECT is(tap.avail('WALLET'), 'posted=75.00 pd=1.00 pc=0.00 available=74.00',
          'Should release an expired hold for every balance before any sweep');
SELECT is((SELECT status FROM ledger.get_hold(tap.hid('h3'))), 'expired', 'get_hold: Should read expired before any sweep');
SELECT throws_ok($$SELECT ledger.capture_hold(tap.hid('h3'), 'c3')$$, 'DX052', NULL,
                 'capture_hold: Should refuse a capture after expiry (DX052)');
SELECT throws_ok($$SELECT ledger.void_hold(tap.hid('h3'), 'v3')$$, 'DX052', NULL,
                 'void_hold: Should refuse a void after expiry (DX052)');
SELECT is(ledger.expire_holds(), 1, 'expire_holds: Should mark the expired hold');
SELECT is(ledger.expire_holds(), 0, 'expire_holds: Should mark it once');
SELECT is((SELECT (status, resolved_by) FROM ledger.get_hold(tap.hid('h3'))), ('expired'::text, ledger_private.admin_actor()),
          'expire_holds: Should record the sweep');
SELECT throws_ok($$SELECT ledger.capture_hold(tap.hid('h3'), 'c3')$$, 'DX052', NULL,
                 'capture_hold: Should refuse a capture after the sweep (DX052)');

-- list_holds ------------------------------------------------------------------------------
SELECT is((SELECT array_agg(status ORDER BY hold_id) FROM ledger.list_holds(account => 'WALLET')),
          ARRAY['captured', 'voided', 'pending', 'expired'], 'list_holds: Should list an account''s holds in order');
SELECT is((SELECT count(*)::integer FROM ledger.list_holds(status => 'pending')), 1,
          'list_holds: Should filter by status');
SELECT is((SELECT count(*)::integer FROM ledger.list_holds(page_size => 2)), 2, 'list_holds: Should stop at page_size');
SELECT is((SELECT count(*)::integer FROM ledger.list_holds(after_id => tap.hid('h2'))), 2,
          'list_holds: Should page after a hold id');
SELECT throws_ok($$SELECT * FROM ledger.list_holds(status => 'open')$$, 'DX055', NULL,
                 'list_holds: Should refuse an unknown status (DX055)');
SELECT throws_ok($$SELECT * FROM ledger.list_holds(account => 'NOPE')$$, 'DX020', NULL,
                 'list_holds: Should refuse an unknown account (DX020)');
SELECT throws_ok($$SELECT * FROM ledger.get_hold('00000000-0000-0000-0000-000000000000')$$, 'DX049', NULL,
                 'get_hold: Should refuse an unknown hold (DX049)');

-- Limits ---------------------------------------------------------------------------------
SELECT is((SELECT min_balance FROM ledger.get_available_balance('WALLET')), 0::numeric,
          'Should read allow_negative = false as min_balance 0');
SELECT is((SELECT (min_balance, max_balance) FROM ledger.get_available_balance('CARD')), (NULL::numeric, NULL::numeric),
          'Should read an account without limits as none');
SELECT is((SELECT min_balance FROM ledger.set_account_limits('CARD', min_balance => -500)), -500::numeric,
          'set_account_limits: Should set a credit limit');
SELECT lives_ok($$SELECT ledger.post_journal('card-1', tap.spend('300.00', 'CARD'))$$,
                'Should let a credit line go below zero');
SELECT throws_ok($$SELECT ledger.create_hold('card-h', tap.spend('200.01', 'CARD'))$$, 'DX010', NULL,
                 'Should refuse a hold past the credit limit (DX010)');
SELECT throws_like($$SELECT ledger.post_journal('card-2', tap.spend('200.01', 'CARD'))$$, '%CARD%',
                   'Should refuse a posting past the credit limit, naming the account');
SELECT lives_ok($$SELECT ledger.post_journal('card-3', tap.spend('200.00', 'CARD'))$$,
                'Should let it reach the credit limit');
SELECT lives_ok($$SELECT ledger.set_account_limits('ESCROW', min_balance => 0, max_balance => 10)$$,
                'set_account_limits: Should set a maximum');
SELECT throws_ok($$SELECT ledger.create_hold('esc-h', tap.pair('CASH', 'ESCROW', '9.01'))$$, 'DX054', NULL,
                 'Should refuse a hold that would take a balance above its maximum (DX054)');
SELECT lives_ok($$SELECT ledger.create_hold('esc-h', tap.pair('CASH', 'ESCROW', '9.00'))$$,
                'Should allow one up to the maximum');
SELECT throws_ok($$SELECT ledger.post_journal('esc-p', tap.pair('CASH', 'ESCROW', '0.01'))$$, 'DX054', NULL,
                 'Should count pending increases against the maximum (DX054)');
SELECT throws_ok($$SELECT ledger.set_account_limits('ESCROW', min_balance => 5, max_balance => 1)$$, 'DX055', NULL,
                 'set_account_limits: Should refuse min_balance above max_balance (DX055)');
SELECT throws_ok($$SELECT ledger.set_account_limits('NOPE', 0)$$, 'DX020', NULL,
                 'set_account_limits: Should refuse an unknown account (DX020)');
SELECT is((SELECT action FROM ledger.list_audit() ORDER BY audit_id DESC LIMIT 1), 'set_account_limits',
          'set_account_limits: Should append to the audit log');
SELECT lives_ok($$SELECT ledger.set_account_limits('MERCHANT', max_balance => 1)$$, 'Should set a maximum on MERCHANT');
SELECT is((SELECT status FROM ledger.post_journals(jsonb_build_array(
              jsonb_build_object('idempotency_key', 'b-max', 'legs', tap.pair('CASH', 'MERCHANT', '5.00'))))),
          'rejected', 'post_journals: Should reject a batch request above a maximum');
SELECT lives_ok($$SELECT ledger.set_account_limits('MERCHANT')$$, 'set_account_limits: Should clear limits with NULLs');
SELECT lives_ok($$SELECT ledger.post_journal('m-big', tap.pair('CASH', 'MERCHANT', '5000.00'))$$,
                'Should post freely once the limits are cleared');

-- The database enforces it for any writer: a direct INSERT ---------------------------------
SAVEPOINT direct;
INSERT INTO ledger_private.hold (hold_id, tenant, idempotency_key, fingerprint, created_by)
VALUES ('00000000-0000-7000-8000-000000000001', 'default', 'direct', '\x00', 'test');
INSERT INTO ledger_private.hold_leg (hold_id, leg_no, tenant, account_id, side, amount, ccy)
SELECT '00000000-0000-7000-8000-000000000001', 1, 'default', a.account_id, 'debit', 1000, 'EUR'
  FROM ledger_private.account AS a WHERE a.code = 'WALLET';
SELECT throws_ok($$SET CONSTRAINTS ALL IMMEDIATE$$, 'DX010', NULL,
                 'Should refuse a directly inserted hold leg that breaks a limit (at commit)');
ROLLBACK TO SAVEPOINT direct;
SAVEPOINT direct2;
SELECT throws_ok($$INSERT INTO ledger_private.hold_leg (hold_id, leg_no, tenant, account_id, side, amount, ccy)
                   VALUES ('00000000-0000-7000-8000-00000000000f', 1, 'default', 1, 'debit', 1, 'EUR')$$,
                 'DX021', NULL, 'Should refuse a hold leg without its hold');
ROLLBACK TO SAVEPOINT direct2;
SELECT throws_ok($$UPDATE ledger_private.hold_resolution SET outcome = 'voided'$$, 'DX017', NULL,
                 'Should keep resolutions append-only (DX017)');
SELECT throws_ok($$DELETE FROM ledger_private.hold$$, 'DX017', NULL, 'Should keep holds append-only (DX017)');
SELECT throws_ok($$INSERT INTO ledger_private.hold_resolution (hold_id, tenant, outcome, idempotency_key, resolved_by)
                   VALUES (tap.hid('h1'), 'default', 'voided', 'x', 'test')$$, '23505', NULL,
                 'Should keep one resolution per hold even for a direct INSERT');

SELECT * FROM finish();
ROLLBACK;
