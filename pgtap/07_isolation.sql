-- Isolation levels. This file runs at the default READ COMMITTED on purpose: every write
-- function must refuse it with DX016, and roll_up_balances must run at it.
-- Nothing can be posted through the API here, so the data is inserted directly into the
-- tables (checked by the same triggers).
BEGIN;
SELECT plan(19);

SELECT is(current_setting('transaction_isolation'), 'read committed',
          'Should run this file at READ COMMITTED');

-- Data written directly: two accounts and a balanced journal ---------------------------------------
\ir helpers/fixtures.sql

-- The tenant this file uses besides default (#14: a tenant exists before it is used),
-- written directly too (create_tenant needs SERIALIZABLE).
INSERT INTO ledger_private.tenant (tenant, created_by) VALUES ('acme', 'test:direct');
SELECT tap.direct_books('01900000-0000-7000-8000-000000000001', 'direct-1', current_date);
SELECT lives_ok('SET CONSTRAINTS ALL IMMEDIATE', 'Should accept the directly written journal');
SET CONSTRAINTS ALL DEFERRED;

-- Writes refuse READ COMMITTED --------------------------------------------------------------------
SELECT throws_ok($$SELECT ledger.post_journal('k-1', '[
    {"account": "CASH", "side": "debit",  "amount": "1.00", "ccy": "EUR"},
    {"account": "LIAB", "side": "credit", "amount": "1.00", "ccy": "EUR"}]')$$,
    'DX016', NULL, 'Should refuse post_journal below SERIALIZABLE (DX016)');
SELECT throws_ok($$SELECT ledger.post_journal(NULL, NULL)$$, 'DX016', NULL,
                 'Should refuse post_journal below SERIALIZABLE before validating anything (DX016)');
SELECT throws_ok($$SELECT * FROM ledger.post_journals('[]')$$, 'DX016', NULL,
                 'Should refuse post_journals below SERIALIZABLE (DX016)');
SELECT throws_ok($$SELECT ledger.create_account('NEW', 'New account', 'EUR')$$, 'DX016', NULL,
                 'Should refuse create_account below SERIALIZABLE (DX016)');
SELECT throws_ok($$SELECT ledger.set_account_status('CASH', 'frozen')$$, 'DX016', NULL,
                 'Should refuse set_account_status below SERIALIZABLE (DX016)');
SELECT throws_ok($$SELECT ledger.reverse_journal('01900000-0000-7000-8000-000000000001', 'rev-1')$$,
                 'DX016', NULL, 'Should refuse reverse_journal below SERIALIZABLE (DX016)');
SELECT throws_ok($$SELECT ledger.reverse_journal('00000000-0000-7000-8000-000000000000', 'rev-2')$$,
                 'DX016', NULL, 'Should refuse reverse_journal below SERIALIZABLE before looking the journal up (DX016)');
SELECT results_eq(
    $$SELECT (SELECT count(*) FROM ledger_private.account), (SELECT count(*) FROM ledger_private.journal),
             (SELECT count(*) FROM ledger_private.idempotency_sentinel), (SELECT status FROM ledger.get_account('CASH'))$$,
    $$VALUES (2::bigint, 1::bigint, 0::bigint, 'active'::text)$$,
    'Should have written nothing for the refused writes');

-- Reads work at any level ---------------------------------------------------------------------------
CREATE TEMP TABLE before_roll_up ON COMMIT DROP AS
    SELECT * FROM ledger.get_balance('CASH') UNION ALL SELECT * FROM ledger.get_balance('LIAB');
SELECT results_eq($$SELECT balance, debits, credits FROM before_roll_up$$,
                  $$VALUES (42.00::numeric, 42.00::numeric, 0.00::numeric), (42.00, 0.00, 42.00)$$,
                  'Should read balances at READ COMMITTED');

-- roll_up_balances runs at READ COMMITTED ------------------------------------------------------------
CREATE TEMP TABLE roll_up ON COMMIT DROP AS SELECT * FROM ledger.roll_up_balances();
SELECT is((SELECT tenant FROM roll_up), 'default', 'Should roll up and return a row for tenant default');
SELECT is((SELECT legs_folded FROM roll_up), 0::bigint,
          'Should not fold the legs of the still-running transaction');
SELECT ok((SELECT below_txid <= (pg_current_xact_id()::text)::bigint FROM roll_up),
          'Should keep the watermark at or below the running transaction''s txid');
SELECT is((SELECT below_txid FROM ledger_private.balance_watermark WHERE tenant = 'default'),
          (SELECT below_txid FROM roll_up), 'Should record the watermark of the tenant');
SELECT results_eq(
    $$SELECT * FROM ledger.get_balance('CASH') UNION ALL SELECT * FROM ledger.get_balance('LIAB')$$,
    $$SELECT * FROM before_roll_up$$,
    'Should leave every balance unchanged by the roll-up');
SELECT is((SELECT legs_folded FROM ledger.roll_up_balances()), 0::bigint,
          'Should run again without folding anything twice');
SELECT is((SELECT tenant FROM ledger.roll_up_balances('acme')), 'acme',
          'Should roll up another tenant');
SELECT throws_ok($$SELECT ledger.roll_up_balances('bad tenant')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant (DX019)');

SELECT * FROM finish();
ROLLBACK;
