-- Reads over closed dates: ledger.get_balance as of a closed date (from the snapshot) and an
-- open one (live), both equal to the sum of the legs; ledger.balance_history per closed
-- date; ledger.verify_seals finding a leg altered behind the triggers.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(27);

\ir helpers/fixtures.sql

-- The tenants this file uses besides default (#14: a tenant exists before it is used).
DO $$ BEGIN PERFORM ledger.create_tenant(t) FROM unnest(ARRAY['other']) AS t; END $$;

SELECT lives_ok($$
    SELECT tap.create_accounts('CASH EUR asset', 'SALES EUR income', 'IDLE EUR asset'),
           ledger.post_journal('a', tap.pair('CASH', 'SALES', '10.00'), tap.d(4)),
           ledger.post_journal('b', tap.pair('CASH', 'SALES', '5.00'), tap.d(2)),
           ledger.post_journal('c', tap.pair('SALES', 'CASH', '3.00'), tap.d(1)),
           ledger.post_journal('d', tap.pair('CASH', 'SALES', '1.00'), tap.d(0)),
           ledger.eod_close(tap.d(2))
$$, 'Should post on four dates and close through d-2');

-- get_balance as of a date ----------------------------------------------------------------------
-- Each row an account and a date (none: the current balance, as of no date), and what
-- get_balance reads there: balance, debits and credits (all movements up to that date), and
-- where it reads them.
SELECT results_eq(
    format('SELECT balance, debits, credits, as_of, snapshot_source FROM ledger.get_balance(%L, %L)', t.code, t.as_of),
    format('VALUES (%s::numeric, %s::numeric, %s::numeric, %L::date, %L::text)',
           t.balance, t.debits, t.credits, t.as_of, t.source),
    t.description)
  FROM (VALUES
    ('CASH',  tap.d(2),   15.00, 15.00, 0.00,  'snapshot', 'Should read a closed date from the snapshot'),
    ('CASH',  tap.d(3),   10.00, 10.00, 0.00,  'snapshot',
     'Should read a date closed through without activity from the previous close''s snapshot'),
    ('CASH',  tap.d(10),  0.00,  0.00,  0.00,  'snapshot', 'Should read zero from before the first snapshot of a closed period'),
    ('IDLE',  tap.d(2),   0.00,  0.00,  0.00,  'snapshot', 'Should read zero for an account that never moved'),
    ('CASH',  tap.d(1),   12.00, 15.00, 3.00,  'live',     'Should compute an open date live: the snapshot plus the legs after it'),
    ('SALES', tap.d(0),   13.00, 3.00,  16.00, 'live',     'Should compute today live on the normal side (income)'),
    ('CASH',  NULL::date, 13.00, 16.00, 3.00,  'live',     'Should keep the current balance live')
       ) AS t (code, as_of, balance, debits, credits, source, description);
SELECT is((SELECT count(*)::integer FROM generate_series(tap.d(6), tap.d(-1), interval '1 day') AS g (d),
                  unnest(ARRAY['CASH', 'SALES', 'IDLE']) AS a (code)
            WHERE (ledger.get_balance(a.code, g.d::date)).balance <> tap.legs_balance(a.code, g.d::date)), 0,
          'Should equal the sum of the legs as of every date, closed or open, for every account');

-- balance_history --------------------------------------------------------------------------------
SELECT lives_ok($$SELECT ledger.eod_close(tap.d(1))$$, 'Should close d-1 too');
SELECT results_eq(
    $$SELECT account, ccy, business_date, opening_balance, debits, credits, closing_balance
        FROM ledger.balance_history('CASH', tap.d(10), tap.d(0))$$,
    $$VALUES ('CASH'::text, 'EUR'::text, tap.d(4), 0.00::numeric, 10.00::numeric, 0.00::numeric, 10.00::numeric),
             ('CASH', 'EUR', tap.d(2), 10.00, 5.00, 0.00, 15.00),
             ('CASH', 'EUR', tap.d(1), 15.00, 0.00, 3.00, 12.00)$$,
    'Should give one row per closed date: opening, debits, credits, closing (d-3, closed through without activity, has no close)');
SELECT results_eq(
    $$SELECT a.code, count(*)::integer FROM ledger_private.account_snapshot AS s JOIN ledger_private.account AS a USING (account_id)
       GROUP BY a.code ORDER BY 1$$,
    $$VALUES ('CASH'::text, 3), ('IDLE', 3), ('SALES', 3)$$,
    'Should hold a snapshot of every account on every closed date');
SELECT is((SELECT count(*)::integer FROM ledger_private.account_snapshot AS s JOIN ledger_private.account AS a USING (account_id)
            WHERE s.closing_balance <> tap.legs_balance(a.code, s.business_date)
               OR s.opening_balance <> tap.legs_balance(a.code, s.business_date - 1)), 0,
          'Should open and close every snapshot at the sum of the legs');
SELECT results_eq(
    $$SELECT business_date, opening_balance, debits, credits, closing_balance FROM ledger.balance_history('IDLE')$$,
    $$VALUES (tap.d(4), 0.00::numeric, 0.00::numeric, 0.00::numeric, 0.00::numeric),
             (tap.d(2), 0.00, 0.00, 0.00, 0.00), (tap.d(1), 0.00, 0.00, 0.00, 0.00)$$,
    'Should give rows without movement for an account that did not move');
SELECT lives_ok($$SELECT ledger.create_account('LATE', 'Late', 'EUR'), ledger.post_journal('e', tap.pair('LATE', 'CASH', '2.00'))$$,
                'Should post on an account opened later');
SELECT results_eq(
    $$SELECT business_date, opening_balance, debits, credits, closing_balance FROM ledger.balance_history('LATE')$$,
    $$VALUES (tap.d(4), 0::numeric, 0::numeric, 0::numeric, 0::numeric), (tap.d(2), 0, 0, 0, 0), (tap.d(1), 0, 0, 0, 0)$$,
    'Should give zeros for the closed dates before the account was opened');
SELECT results_eq($$SELECT balance, snapshot_source FROM ledger.get_balance('LATE', tap.d(1))$$,
                  $$VALUES (0.00::numeric, 'snapshot'::text)$$,
                  'Should read zero as of a closed date before the account was opened');
SELECT results_eq($$SELECT business_date, closing_balance FROM ledger.balance_history('SALES', tap.d(2), tap.d(1))$$,
                  $$VALUES (tap.d(2), 15.00::numeric), (tap.d(1), 12.00)$$,
                  'Should restrict the history to the dates asked for');
SELECT is_empty($$SELECT * FROM ledger.balance_history('CASH', tap.d(0), tap.d(0))$$,
                'Should give no rows for an open date');
SELECT throws_ok($$SELECT * FROM ledger.balance_history('CASH', tap.d(0), tap.d(1))$$, 'DX029', NULL,
                 'Should refuse a range that ends before it starts (DX029)');
SELECT throws_ok($$SELECT * FROM ledger.balance_history('NOPE')$$, 'DX020', NULL,
                 'Should refuse an unknown account (DX020)');

-- verify_seals -----------------------------------------------------------------------------------
SELECT is_empty($$SELECT * FROM ledger.verify_seals()$$, 'Should find every closed date intact');
SET LOCAL session_replication_role = replica;
UPDATE ledger_private.leg SET amount = amount + 1
 WHERE journal_id = (SELECT journal_id FROM ledger_private.journal WHERE idempotency_key = 'b') AND leg_no = 1;
SET LOCAL session_replication_role = origin;
SELECT results_eq($$SELECT business_date, problem FROM ledger.verify_seals()$$,
                  $$VALUES (tap.d(2), 'data'::text)$$,
                  'Should report exactly the date whose leg was altered behind the triggers');
SET LOCAL session_replication_role = replica;
INSERT INTO ledger_private.journal (journal_id, tenant, idempotency_key, effective_date, txid, created_by)
VALUES ('01900000-0000-7000-8000-0000000000c1', 'default', 'sneaky', tap.d(3), 1, 'test:direct');
SET LOCAL session_replication_role = origin;
SELECT results_eq($$SELECT business_date, problem FROM ledger.verify_seals()$$,
                  $$VALUES (tap.d(3), 'unsealed'::text), (tap.d(2), 'data')$$,
                  'Should report a journal slipped into a closed date no close covers');
SET LOCAL session_replication_role = replica;
UPDATE ledger_private.day_close SET previous_seal = '\x00' WHERE business_date = tap.d(1);
SET LOCAL session_replication_role = origin;
SELECT results_eq($$SELECT business_date, problem FROM ledger.verify_seals() WHERE business_date = tap.d(1)$$,
                  $$VALUES (tap.d(1), 'chain'::text), (tap.d(1), 'data')$$,
                  'Should report a close record whose previous seal was rewritten (chain and data)');
SELECT is_empty($$SELECT * FROM ledger.verify_seals('other')$$, 'Should find nothing in a tenant without closes');
SELECT throws_ok($$SELECT * FROM ledger.verify_seals('bad tenant')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant (DX019)');

SELECT * FROM finish();
ROLLBACK;
