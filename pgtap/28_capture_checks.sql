-- The capture's own journal insert (ledger.capture_hold, ledger_private.legs_to_capture):
-- the journal and its legs are written from the hold's legs by account id, the leg trigger
-- stands aside only for the legs the capture vouches for (doublex.checked_legs), and
-- everything that can have changed since the hold is still refused: the account frozen or
-- closed, its posting limit lowered, the day closed, a limit now breached, a condition
-- false. A direct INSERT by the owner that breaks a rule is refused as before.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SET LOCAL client_min_messages = warning;
SELECT plan(41);
\ir helpers/fixtures.sql

SELECT tap.function_is('ledger_private.legs_to_capture', ARRAY['uuid', 'jsonb'],
                       'TABLE(bad_leg integer, problem text, account_ids bigint[], sides text[], amounts numeric[], ccys text[], constrained integer[], vouched boolean, legs jsonb)',
                       'sql', 'stable');

SELECT tap.create_accounts('CASH EUR asset', 'WALLET EUR liability non-negative', 'SHOP EUR liability',
                           'EMPTY EUR liability', 'YEN JPY liability', 'YCASH JPY asset');
SELECT ledger.post_journal('fund', tap.pair('CASH', 'WALLET', '100.00'), tap.d(1));
CREATE FUNCTION tap.hid(p_key text) RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT h.hold_id FROM ledger_private.hold AS h WHERE h.idempotency_key = p_key $$;
CREATE FUNCTION tap.aid(p_code text) RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT a.account_id FROM ledger_private.account AS a WHERE a.code = p_code $$;
SELECT ledger.create_hold('h', tap.pair('WALLET', 'SHOP', '30.00'));
SELECT ledger.create_hold('h-empty', tap.pair('WALLET', 'EMPTY', '5.00'));
SELECT ledger.create_hold('h-part', tap.pair('WALLET', 'SHOP', '30.00'));

-- legs_to_capture -------------------------------------------------------------------------
SELECT is((SELECT (bad_leg, problem, account_ids, sides, amounts::text[], ccys, constrained, vouched, legs)::text
             FROM ledger_private.legs_to_capture(tap.hid('h'), NULL)),
          (NULL::integer, NULL::text, ARRAY[tap.aid('WALLET'), tap.aid('SHOP')], ARRAY['debit', 'credit'],
           ARRAY['30.00', '30.00'], ARRAY['EUR', 'EUR'], ARRAY[1], true, NULL::jsonb)::text,
          'legs_to_capture: Should give a whole hold''s legs by account id, as held, vouched, the limited leg');
SELECT is((SELECT (account_ids, amounts::text[], constrained, vouched, legs)::text
             FROM ledger_private.legs_to_capture(tap.hid('h'), '["12.5", "12.50"]')),
          (ARRAY[tap.aid('WALLET'), tap.aid('SHOP')], ARRAY['12.50', '12.50'], ARRAY[1], true,
           '[{"side": "debit", "ccy": "EUR", "amount": "12.5"}, {"side": "credit", "ccy": "EUR", "amount": "12.50"}]'::jsonb)::text,
          'legs_to_capture: Should scale a part''s amounts to the currency and give its legs as sent');
SELECT is((SELECT (bad_leg, problem) FROM ledger_private.legs_to_capture(tap.hid('h'), '["1.00", "31.00"]')),
          (2, '31.00 exceeds the 30.00 held'::text), 'legs_to_capture: Should name the first amount above what its leg holds');
SELECT is((SELECT (bad_leg, problem) FROM ledger_private.legs_to_capture(tap.hid('h'), '["x", "31.00"]')),
          (1, 'must be a decimal string such as "12.50"'::text), 'legs_to_capture: Should name a malformed amount first');
SELECT is((SELECT (bad_leg, cardinality(account_ids)) FROM ledger_private.legs_to_capture(tap.hid('h'), '["0", "1.00"]')),
          (NULL::integer, 1), 'legs_to_capture: Should leave a leg asked "0" out');
SELECT is((SELECT vouched FROM ledger_private.legs_to_capture(tap.hid('h'), '["1.001", "1.001"]')), false,
          'legs_to_capture: Should not vouch for a part with more decimals than the currency');
SELECT is((SELECT account_ids FROM ledger_private.legs_to_capture('00000000-0000-0000-0000-000000000000', NULL)), NULL,
          'legs_to_capture: Should give no legs for no hold');

-- What changed since the hold is refused -------------------------------------------------
SELECT ledger.set_account_status('WALLET', 'frozen');
SELECT is((SELECT vouched FROM ledger_private.legs_to_capture(tap.hid('h'), NULL)), false,
          'legs_to_capture: Should not vouch for a leg on a frozen account');
SELECT throws_ok($$SELECT ledger.capture_hold(tap.hid('h'), 'c-frozen')$$, 'DX007',
                 'legs[0].account: account WALLET is frozen; only active accounts post',
                 'capture_hold: Should refuse a hold whose account was frozen since (DX007)');
SELECT ledger.set_account_status('WALLET', 'active');

SELECT lives_ok($$SELECT ledger.set_account_status('EMPTY', 'closed')$$, 'Should close an account a hold credits');
SELECT throws_ok($$SELECT ledger.capture_hold(tap.hid('h-empty'), 'c-closed')$$, 'DX007',
                 'legs[1].account: account EMPTY is closed; only active accounts post',
                 'capture_hold: Should refuse a hold whose account was closed since (DX007)');

UPDATE ledger_private.account SET max_leg_amount = 20 WHERE code = 'SHOP';
SELECT throws_ok($$SELECT ledger.capture_hold(tap.hid('h'), 'c-leg-limit')$$, 'DX047', NULL,
                 'capture_hold: Should refuse a leg over a posting limit set since (DX047)');
SELECT throws_like($$SELECT ledger.capture_hold(tap.hid('h'), 'c-leg-limit')$$,
                   'legs[1].amount: 30.00 EUR is over the posting limit of account SHOP%',
                   'capture_hold: Should name the leg and the limit as a posting does');
SELECT lives_ok($$SELECT ledger.capture_hold(tap.hid('h-part'), 'c-leg-part', '["20.00", "20.00"]')$$,
                'capture_hold: Should capture a part within the posting limit');
UPDATE ledger_private.account SET max_leg_amount = NULL WHERE code = 'SHOP';

SELECT ledger.set_account_limits('WALLET', min_balance => 80);
SELECT throws_ok($$SELECT ledger.capture_hold(tap.hid('h'), 'c-min')$$, 'DX010', NULL,
                 'capture_hold: Should refuse a capture below a min_balance raised since (DX010)');
SELECT ledger.set_account_limits('WALLET', NULL, NULL);
SELECT ledger.set_account_limits('SHOP', max_balance => 10);
SELECT throws_ok($$SELECT ledger.capture_hold(tap.hid('h'), 'c-max')$$, 'DX054', NULL,
                 'capture_hold: Should refuse a capture above a max_balance lowered since (DX054)');
SELECT ledger.set_account_limits('SHOP', NULL, NULL);

SELECT throws_ok($$SELECT ledger.capture_hold(tap.hid('h'), 'c-cond',
                      conditions => '[{"account": "WALLET", "op": ">=", "amount": "80.00"}]')$$, 'DX057', NULL,
                 'capture_hold: Should refuse a capture whose condition is false after it (DX057)');
SELECT throws_ok($$SELECT ledger.capture_hold(tap.hid('h'), 'c-dec', '["1.001", "1.001"]')$$, 'DX004',
                 'legs[0].amount: 1.001 has more decimals than EUR allows (2)',
                 'capture_hold: Should refuse a part with more decimals than the currency (DX004)');
SELECT throws_ok($$SELECT ledger.capture_hold(tap.hid('h'), 'c-count', '["0", "2.00", "1.00"]')$$, 'DX053', NULL,
                 'capture_hold: Should refuse amounts that do not match the legs (DX053)');

SELECT lives_ok($$SELECT ledger.eod_close(tap.d(1))$$, 'Should close the day before today with the hold pending');
SELECT throws_ok($$SELECT ledger.capture_hold(tap.hid('h'), 'c-closed-day', effective_date => tap.d(1))$$, 'DX025', NULL,
                 'capture_hold: Should refuse a capture dated on a day closed since the hold (DX025)');
SELECT throws_ok($$SELECT ledger.capture_hold(tap.hid('h'), 'c-far', effective_date => tap.d(-4000))$$, 'DX029', NULL,
                 'capture_hold: Should refuse a capture dated beyond the window (DX029)');

-- The key hold:<hold_id> stays the capture's -------------------------------------------
SELECT ledger.create_hold('h-key', tap.pair('WALLET', 'SHOP', '1.00'));
SELECT ledger.post_journal('hold:' || tap.hid('h-key'), tap.pair('CASH', 'SHOP', '1.00'));
SELECT throws_ok($$SELECT ledger.capture_hold(tap.hid('h-key'), 'c-key')$$, 'DX011', NULL,
                 'capture_hold: Should refuse a hold whose key hold:<id> a client journal took first (DX011)');

-- The capture ----------------------------------------------------------------------------
SELECT is((SELECT status FROM ledger.capture_hold(tap.hid('h'), 'c-ok')), 'captured', 'capture_hold: Should capture');
SELECT is((SELECT array_agg((l.leg_no, l.tenant, l.account_id, l.side, l.amount::text, l.ccy,
                             l.effective_date = ledger.business_date(), l.txid = j.txid)::text ORDER BY l.leg_no)
             FROM ledger_private.leg AS l JOIN ledger_private.journal AS j USING (journal_id)
            WHERE j.idempotency_key = 'hold:' || tap.hid('h')),
          ARRAY[(1, 'default', tap.aid('WALLET'), 'debit', '30.00', 'EUR', true, true)::text,
                (2, 'default', tap.aid('SHOP'), 'credit', '30.00', 'EUR', true, true)::text],
          'capture_hold: Should write the hold''s legs with the journal''s tenant, date and txid');
SELECT is((SELECT (current_setting('doublex.checked_legs', true), current_setting('doublex.checked_inline', true))),
          (''::text, 'off'::text), 'capture_hold: Should stop vouching before it returns');
SELECT is((SELECT (s.operation, s.journal_id) FROM ledger_private.idempotency_sentinel AS s
            WHERE s.idempotency_key = 'hold:' || tap.hid('h')),
          ('capture_hold'::text, tap.jid('hold:' || tap.hid('h'))), 'capture_hold: Should claim the key hold:<hold_id>');
SELECT throws_ok($$SELECT ledger.post_journal('hold:' || tap.hid('h'), tap.pair('CASH', 'SHOP', '1.00'))$$, 'DX011', NULL,
                 'post_journal: Should refuse a client journal under a captured hold''s key (DX011)');
SELECT is((SELECT (status, journal_id) FROM ledger.capture_hold(tap.hid('h'), 'c-ok')),
          ('duplicate'::text, tap.jid('hold:' || tap.hid('h'))), 'capture_hold: Should answer its replay as duplicate');
SELECT is((SELECT balance FROM ledger.get_balance('WALLET')), 50.00::numeric,
          'capture_hold: Should move the balance by the hold');

-- A JPY hold: amounts at scale 0 -----------------------------------------------------------
SELECT ledger.create_hold('h-yen', tap.pair('YCASH', 'YEN', '500', 'JPY'));
SELECT is((SELECT status FROM ledger.capture_hold(tap.hid('h-yen'), 'c-yen', '["300", "300"]')), 'captured',
          'capture_hold: Should capture a part in a currency without decimals');
SELECT is((SELECT array_agg(l.amount::text ORDER BY l.leg_no) FROM ledger_private.leg AS l
            WHERE l.journal_id = tap.jid('hold:' || tap.hid('h-yen'))), ARRAY['300', '300'],
          'capture_hold: Should store a part at the currency''s scale');

-- Direct INSERTs by the owner are checked as before -------------------------------------
SELECT ledger.set_account_status('SHOP', 'frozen');
CREATE FUNCTION tap.direct_journal(p_id uuid, p_credit numeric DEFAULT 1) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_private.journal (journal_id, tenant, idempotency_key, effective_date, created_by)
    VALUES (p_id, 'default', 'direct-' || p_id, ledger.business_date(), 'admin:tap');
    INSERT INTO ledger_private.leg (journal_id, leg_no, tenant, effective_date, account_id, side, amount, ccy)
    VALUES (p_id, 1, 'default', ledger.business_date(), tap.aid('SHOP'), 'debit', 1, 'EUR'),
           (p_id, 2, 'default', ledger.business_date(), tap.aid('CASH'), 'credit', p_credit, 'EUR');
END
$$;
SELECT throws_ok($$SELECT tap.direct_journal(gen_random_uuid())$$, 'DX007', NULL,
                 'Should refuse a direct leg on a frozen account, tenant and date given (DX007)');
SELECT throws_ok($$SELECT set_config('doublex.checked_legs', '01900000-0000-7000-8000-0000000000c1', true),
                          tap.direct_journal('01900000-0000-7000-8000-0000000000c1')$$, 'DX007', NULL,
                 'Should check a leg named by checked_legs when checked_inline is not on (DX007)');
SELECT throws_ok($$SELECT set_config('doublex.checked_inline', 'on', true),
                          set_config('doublex.checked_legs', '01900000-0000-7000-8000-0000000000c2', true),
                          tap.direct_journal('01900000-0000-7000-8000-0000000000c3')$$, 'DX007', NULL,
                 'Should check a leg of a journal other than the one checked_legs names (DX007)');
SELECT throws_ok($$SELECT set_config('doublex.checked_inline', 'on', true),
                          set_config('doublex.checked_legs', '01900000-0000-7000-8000-0000000000c4', true);
                   INSERT INTO ledger_private.leg (journal_id, leg_no, tenant, effective_date, account_id, side, amount, ccy)
                   VALUES ('01900000-0000-7000-8000-0000000000c4', 1, 'default', ledger.business_date(),
                           tap.aid('CASH'), 'debit', 1, 'EUR')$$, 'DX021', NULL,
                 'Should refuse a leg of a journal this transaction did not write, though both settings name it (DX021)');
SELECT ledger.set_account_status('SHOP', 'active');
SELECT throws_ok($$INSERT INTO ledger_private.journal (journal_id, tenant, idempotency_key, effective_date, created_by)
                   VALUES (gen_random_uuid(), 'default', 'direct-closed', tap.d(1), 'admin:tap')$$, 'DX025', NULL,
                 'Should refuse a direct journal on a closed day (DX025)');
SELECT throws_ok($$SELECT tap.direct_journal(gen_random_uuid(), 2); SET CONSTRAINTS ALL IMMEDIATE$$, 'DX009', NULL,
                 'Should refuse a direct journal that does not balance, tenant and date given (DX009)');
SELECT lives_ok($$SELECT tap.direct_journal(gen_random_uuid()); SET CONSTRAINTS ALL IMMEDIATE$$,
                'Should take a direct journal that keeps every rule');
SELECT * FROM finish();
ROLLBACK;
