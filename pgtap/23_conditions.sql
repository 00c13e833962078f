-- Balance conditions per request (issue #17): post_journal, create_hold and capture_hold
-- take conditions (account, field available|posted, op >=|<=|=, amount); each operator and
-- field, each malformed condition (DX056) and the failed one (DX057) by SQLSTATE with its
-- message and DETAIL, the request refused whole, and conditions in the idempotency
-- fingerprint (a replay with other conditions is DX011; none is the old fingerprint).
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(50);
\ir helpers/fixtures.sql

-- Structure: conditions jsonb before tenant, which stays last.
SELECT function_returns('ledger', 'post_journal',
                        ARRAY['text', 'jsonb', 'date', 'text', 'text', 'jsonb', 'jsonb', 'text'],
                        'ledger.posting_result', 'Should have ledger.post_journal(…, conditions, tenant)');
SELECT is((SELECT count(*)::integer FROM pg_proc
            WHERE pronamespace = 'ledger'::regnamespace
              AND proname IN ('post_journal', 'create_hold', 'capture_hold')), 3,
          'Should keep one overload each of post_journal, create_hold and capture_hold');
SELECT is((SELECT bool_and((proargnames)[array_length(proargnames, 1) - 1] = 'conditions'
                           AND (proargnames)[array_length(proargnames, 1)] = 'tenant')
             FROM pg_proc WHERE pronamespace = 'ledger'::regnamespace
                            AND proname IN ('post_journal', 'create_hold', 'capture_hold')), true,
          'Should name conditions next to last, tenant last');
SELECT is(ledger_private.api_limit('conditions_max'), 20, 'Should bound the conditions of a request');
SELECT is((SELECT value FROM ledger.api_limits() WHERE name = 'conditions_max'), 20,
          'Should list conditions_max in ledger.api_limits()');

SELECT tap.create_accounts('CASH EUR asset', 'WALLET EUR liability', 'MERCHANT EUR liability',
                           'OTHER EUR liability');
SELECT ledger.post_journal('fund', tap.pair('CASH', 'WALLET', '100.00'));
CREATE FUNCTION tap.cond(p_account text, p_op text, p_amount text, p_field text DEFAULT NULL)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_array(jsonb_strip_nulls(jsonb_build_object(
        'account', p_account, 'field', p_field, 'op', p_op, 'amount', p_amount)))
$$;
CREATE FUNCTION tap.hid(p_key text) RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT h.hold_id FROM ledger_private.hold AS h WHERE h.idempotency_key = p_key $$;
CREATE FUNCTION tap.all_counts() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT tap.row_counts() || format(' holds=%s hold_legs=%s resolutions=%s',
                                      (SELECT count(*) FROM ledger_private.hold),
                                      (SELECT count(*) FROM ledger_private.hold_leg),
                                      (SELECT count(*) FROM ledger_private.hold_resolution))
$$;

-- post_journal: each operator and field -------------------------------------------------
SELECT is((SELECT status FROM ledger.post_journal('p1', tap.pair('WALLET', 'MERCHANT', '30.00'),
                                                  conditions => tap.cond('WALLET', '>=', '70.00'))),
          'posted', 'post_journal: Should post when available >= the threshold after the posting (70 >= 70)');
SELECT is((SELECT status FROM ledger.post_journal('p2', tap.pair('WALLET', 'MERCHANT', '10.00'),
                                                  conditions => tap.cond('MERCHANT', '<=', '40.00', 'posted'))),
          'posted', 'post_journal: Should post when posted <= the threshold (40 <= 40)');
SELECT is((SELECT status FROM ledger.post_journal('p3', tap.pair('WALLET', 'MERCHANT', '10.00'),
                                                  conditions => tap.cond('WALLET', '=', '50'))),
          'posted', 'post_journal: Should post when available = the threshold (50.00 = 50)');
SELECT is((SELECT status FROM ledger.post_journal('p4', tap.pair('WALLET', 'MERCHANT', '1.00'),
                                                  conditions => tap.cond('OTHER', '>=', '-500'))),
          'posted', 'post_journal: Should test an account the legs do not touch, and a negative threshold');

INSERT INTO snapshot VALUES ('before refusals', tap.all_counts());
SELECT throws_ok($$SELECT ledger.post_journal('p-fail', tap.pair('WALLET', 'MERCHANT', '9.01'),
                                               conditions => tap.cond('WALLET', '>=', '40.00'))$$,
                 'DX057', 'conditions[0]: available balance of WALLET would be 39.99 EUR, not >= 40.00',
                 'post_journal: Should refuse a posting whose condition is false after it (DX057)');
SELECT is(tap.detail_of($$SELECT ledger.post_journal('p-fail', tap.pair('WALLET', 'MERCHANT', '9.01'),
                                                      conditions => tap.cond('WALLET', '>=', '40.00'))$$),
          'account WALLET, field available, op >=, threshold 40.00, actual 39.99 EUR',
          'DX057: Should name account, field, op, threshold and the actual value in DETAIL');
SELECT throws_ok($$SELECT ledger.post_journal('p-fail', tap.pair('WALLET', 'MERCHANT', '1.00'),
                                               conditions => tap.cond('MERCHANT', '<=', '50.00', 'posted'))$$,
                 'DX057', NULL, 'post_journal: Should refuse when posted <= fails');
SELECT throws_ok($$SELECT ledger.post_journal('p-fail', tap.pair('WALLET', 'MERCHANT', '1.00'),
                                               conditions => tap.cond('WALLET', '=', '50.00'))$$,
                 'DX057', NULL, 'post_journal: Should refuse when = fails');
SELECT throws_ok($$SELECT ledger.post_journal('p-fail', tap.pair('WALLET', 'MERCHANT', '1.00'),
                                               conditions => tap.cond('WALLET', '>=', '0')
                                                             || tap.cond('MERCHANT', '>=', '1000'))$$,
                 'DX057', 'conditions[1]: available balance of MERCHANT would be 52.00 EUR, not >= 1000',
                 'post_journal: Should refuse when any condition fails, naming it');

-- Malformed conditions (DX056) and an unknown account (DX006) ----------------------------
SELECT throws_ok($$SELECT ledger.post_journal('p-bad', tap.pair(), conditions => '{"account":"WALLET"}')$$,
                 'DX056', 'conditions: must be a JSON array, got object', 'DX056: Should refuse a non-array');
SELECT throws_ok(format('SELECT ledger.post_journal(%L, tap.pair(), conditions => %L)', 'p-bad',
                        (SELECT jsonb_agg(tap.cond('WALLET', '>=', '0') -> 0) FROM generate_series(1, 21))),
                 'DX056', 'conditions: at most 20 conditions, got 21', 'DX056: Should refuse more than conditions_max');
SELECT throws_ok($$SELECT ledger.post_journal('p-bad', tap.pair(), conditions => '["x"]')$$,
                 'DX056', 'conditions[0]: must be an object with account, op, amount and optionally field',
                 'DX056: Should refuse an element that is not an object');
SELECT throws_ok($$SELECT ledger.post_journal('p-bad', tap.pair(), conditions => '[{"account":"WALLET","op":">=","amount":"1","ccy":"EUR"}]')$$,
                 'DX056', 'conditions[0]: unknown field(s) ccy', 'DX056: Should refuse an unknown field');
SELECT throws_ok($$SELECT ledger.post_journal('p-bad', tap.pair(), conditions => '[{"op":">=","amount":"1"}]')$$,
                 'DX056', 'conditions[0].account: required, an account code string', 'DX056: Should refuse a missing account');
SELECT throws_ok($$SELECT ledger.post_journal('p-bad', tap.pair(), conditions => tap.cond('WALLET', '>=', '0') || tap.cond('WALLET', '>=', '1', 'pending'))$$,
                 'DX056', 'conditions[1].field: must be "available" or "posted", got "pending"',
                 'DX056: Should refuse an unknown field value, naming the element');
SELECT throws_ok($$SELECT ledger.post_journal('p-bad', tap.pair(), conditions => tap.cond('WALLET', '>', '1'))$$,
                 'DX056', 'conditions[0].op: must be ">=", "<=" or "=", got ">"', 'DX056: Should refuse an unknown operator');
SELECT throws_ok($$SELECT ledger.post_journal('p-bad', tap.pair(), conditions => '[{"account":"WALLET","op":">=","amount":1}]')$$,
                 'DX056', NULL, 'DX056: Should refuse an amount that is not a string');
SELECT throws_ok($$SELECT ledger.post_journal('p-bad', tap.pair(), conditions => tap.cond('WALLET', '>=', '1e3'))$$,
                 'DX056', NULL, 'DX056: Should refuse an amount that is not a decimal');
SELECT throws_ok($$SELECT ledger.post_journal('p-bad', tap.pair(), conditions => tap.cond('WALLET', '>=', repeat('9', 21)))$$,
                 'DX056', NULL, 'DX056: Should refuse an amount with more than amount_digits digits');
SELECT throws_ok($$SELECT ledger.post_journal('p-bad', tap.pair('WALLET', 'MERCHANT', '1.00'), conditions => tap.cond('NOPE', '>=', '0'))$$,
                 'DX006', 'conditions[0].account: no account NOPE in tenant default',
                 'DX006: Should refuse a condition on an unknown account, naming the element');
SELECT is(tap.all_counts(), (SELECT counts FROM snapshot WHERE label = 'before refusals'),
          'Should write nothing for a refused request (refused whole: no journal, legs, sentinel or hold)');

-- Fingerprint -----------------------------------------------------------------------------
SELECT is((SELECT status FROM ledger.post_journal('p1', tap.pair('WALLET', 'MERCHANT', '30.00'),
                                                  conditions => tap.cond('WALLET', '>=', '70.00', 'available'))),
          'duplicate', 'fingerprint: Should take the default field spelled out as the same request');
SELECT throws_ok($$SELECT ledger.post_journal('p1', tap.pair('WALLET', 'MERCHANT', '30.00'),
                                               conditions => tap.cond('WALLET', '>=', '60.00'))$$,
                 'DX011', NULL, 'fingerprint: Should refuse a replay with another threshold (DX011)');
SELECT throws_ok($$SELECT ledger.post_journal('p1', tap.pair('WALLET', 'MERCHANT', '30.00'))$$,
                 'DX011', NULL, 'fingerprint: Should refuse a replay without the conditions (DX011)');
SELECT throws_ok($$SELECT ledger.post_journal('fund', tap.pair('CASH', 'WALLET', '100.00'),
                                               conditions => tap.cond('WALLET', '>=', '0'))$$,
                 'DX011', NULL, 'fingerprint: Should refuse a replay that adds conditions (DX011)');
SELECT is((SELECT status FROM ledger.post_journal('fund', tap.pair('CASH', 'WALLET', '100.00'), conditions => '[]')),
          'duplicate', 'fingerprint: Should take an empty conditions array as none');
SELECT is(ledger_private.posting_fingerprint('post_journal', tap.pair(), NULL, NULL, NULL, '{}', NULL),
          ledger_private.fingerprint_of(jsonb_build_object(
              'operation', 'post_journal', 'legs', tap.pair(), 'effective_date', NULL, 'memo', NULL,
              'ref', NULL, 'metadata', '{}'::jsonb, 'reverses', NULL)),
          'fingerprint: Should fingerprint a request without conditions as before conditions existed');
SELECT is((SELECT status FROM ledger.post_journal('p5', tap.pair('CASH', 'OTHER', '5.00'),
                                                  conditions => tap.cond('OTHER', '>=', '5'), tenant => 'default')),
          'posted', 'named arguments: Should still take tenant by name after conditions');

-- post_journals: a request's conditions, on the balances right after it ------------------
-- OTHER: 5.00 now. The second request's condition fails; the first and third post.
SELECT is((SELECT string_agg(coalesce(error_code, status), ' ' ORDER BY position) FROM ledger.post_journals(jsonb_build_array(
              jsonb_build_object('idempotency_key', 'b1', 'legs', tap.pair('CASH', 'OTHER', '1.00'),
                                 'conditions', tap.cond('OTHER', '=', '6.00')),
              jsonb_build_object('idempotency_key', 'b2', 'legs', tap.pair('CASH', 'OTHER', '1.00'),
                                 'conditions', tap.cond('OTHER', '<=', '6.00')),
              jsonb_build_object('idempotency_key', 'b3', 'legs', tap.pair('CASH', 'OTHER', '1.00'),
                                 'conditions', NULL)))),
          'posted DX057 posted', 'post_journals: Should check each request''s conditions after it, in order');
SELECT is((SELECT error_field || ' ' || error_code FROM ledger.post_journals(jsonb_build_array(
              jsonb_build_object('idempotency_key', 'b4', 'legs', tap.pair('CASH', 'OTHER', '1.00'),
                                 'conditions', '[{"account":"OTHER","op":"!=","amount":"1"}]'::jsonb)))),
          'conditions[0].op DX056', 'post_journals: Should reject a malformed condition in its result');
SELECT is((SELECT status FROM ledger.post_journals(jsonb_build_array(
              jsonb_build_object('idempotency_key', 'b1', 'legs', tap.pair('CASH', 'OTHER', '1.00'),
                                 'conditions', tap.cond('OTHER', '=', '6.00', 'available'))))),
          'duplicate', 'post_journals: Should fingerprint the conditions as post_journal does');

-- create_hold -----------------------------------------------------------------------------
-- WALLET: posted 49.00 now.
SELECT is((SELECT status FROM ledger.create_hold('h1', tap.pair('WALLET', 'MERCHANT', '9.00'),
                                                 conditions => tap.cond('WALLET', '>=', '40.00'))),
          'pending', 'create_hold: Should hold when available (counting this hold) meets the condition');
SELECT throws_ok($$SELECT ledger.create_hold('h2', tap.pair('WALLET', 'MERCHANT', '0.01'),
                                              conditions => tap.cond('WALLET', '>=', '40.00'))$$,
                 'DX057', 'conditions[0]: available balance of WALLET would be 39.99 EUR, not >= 40.00',
                 'create_hold: Should refuse a hold whose condition is false with it pending (DX057)');
SELECT is((SELECT status FROM ledger.create_hold('h2', tap.pair('WALLET', 'MERCHANT', '0.01'),
                                                 conditions => tap.cond('WALLET', '>=', '49.00', 'posted'))),
          'pending', 'create_hold: Should leave the posted balance to a posted condition');
SELECT throws_ok($$SELECT ledger.create_hold('h3', tap.pair(), conditions => tap.cond('WALLET', '=>', '1'))$$,
                 'DX056', NULL, 'create_hold: Should refuse a malformed condition (DX056)');
SELECT is((SELECT status FROM ledger.create_hold('h1', tap.pair('WALLET', 'MERCHANT', '9.00'),
                                                 conditions => tap.cond('WALLET', '>=', '40.00'))),
          'duplicate', 'create_hold: Should answer a replay with the same conditions as duplicate');
SELECT throws_ok($$SELECT ledger.create_hold('h1', tap.pair('WALLET', 'MERCHANT', '9.00'),
                                              conditions => tap.cond('WALLET', '>=', '41.00'))$$,
                 'DX011', NULL, 'create_hold: Should refuse a replay with other conditions (DX011)');
SELECT is((SELECT count(*)::integer FROM ledger_private.hold WHERE idempotency_key IN ('h3')), 0,
          'create_hold: Should write no hold when refused');

-- capture_hold ----------------------------------------------------------------------------
INSERT INTO snapshot VALUES ('before capture', tap.all_counts());
SELECT throws_ok(format('SELECT ledger.capture_hold(%L, %L, conditions => %L)', tap.hid('h1'), 'c1',
                        tap.cond('MERCHANT', '>=', '1000', 'posted')),
                 'DX057', NULL, 'capture_hold: Should refuse a capture whose condition is false after it (DX057)');
SELECT is(tap.all_counts(), (SELECT counts FROM snapshot WHERE label = 'before capture'),
          'capture_hold: Should write nothing when refused (no journal, no resolution)');
SELECT is((SELECT status FROM ledger.get_hold(tap.hid('h1'))), 'pending',
          'capture_hold: Should leave the hold pending when refused');
SELECT is((SELECT status FROM ledger.capture_hold(tap.hid('h1'), 'c1', '["5.00", "5.00"]',
                                                  conditions => tap.cond('WALLET', '=', '43.99')
                                                                || tap.cond('MERCHANT', '=', '56.00', 'posted'))),
          'captured', 'capture_hold: Should capture when the balances after it (posted, rest released) meet the conditions');
SELECT is((SELECT status FROM ledger.capture_hold(tap.hid('h1'), 'c1', '["5.00", "5.00"]',
                                                  conditions => tap.cond('WALLET', '=', '43.99')
                                                                || tap.cond('MERCHANT', '=', '56.00', 'posted'))),
          'duplicate', 'capture_hold: Should answer a replay with the same conditions as duplicate');
SELECT throws_ok(format('SELECT ledger.capture_hold(%L, %L, %L)', tap.hid('h1'), 'c1', '["5.00", "5.00"]'),
                 'DX011', NULL, 'capture_hold: Should refuse a replay without the conditions (DX011)');
SELECT throws_ok(format('SELECT ledger.capture_hold(%L, %L, conditions => %L)', tap.hid('h2'), 'c2', '"x"'),
                 'DX056', NULL, 'capture_hold: Should refuse malformed conditions (DX056)');

SELECT * FROM finish();
ROLLBACK;
