-- End of day at READ COMMITTED, the level `doublex eod close` uses: the close runs (every
-- statement reads after its fence), the settings setter refuses it (DX016). The data is
-- inserted directly (postings need SERIALIZABLE), checked by the same triggers.
BEGIN;
SET LOCAL client_min_messages = warning;
SELECT plan(7);

SELECT is(current_setting('transaction_isolation'), 'read committed', 'Should run this file at READ COMMITTED');
INSERT INTO ledger_private.account (code, name, ccy, type)
VALUES ('CASH', 'Cash', 'EUR', 'asset'), ('LIAB', 'Funds', 'EUR', 'liability');
INSERT INTO ledger_private.journal (journal_id, idempotency_key, effective_date)
VALUES ('01900000-0000-7000-8000-000000000d01', 'direct-1', ledger.business_date() - 1);
INSERT INTO ledger_private.leg (journal_id, leg_no, account_id, side, amount, ccy)
SELECT '01900000-0000-7000-8000-000000000d01', l.leg_no, a.account_id, l.side, 42, 'EUR'
  FROM (VALUES (1, 'CASH', 'debit'), (2, 'LIAB', 'credit')) AS l (leg_no, code, side)
  JOIN ledger_private.account AS a ON a.tenant = 'default' AND a.code = l.code;
SELECT lives_ok('SET CONSTRAINTS ALL IMMEDIATE', 'Should accept the directly written journal');
SET CONSTRAINTS ALL DEFERRED;

SELECT results_eq($$SELECT business_date, journals, legs, accounts FROM ledger.eod_close(ledger.business_date() - 1)$$,
                  $$VALUES (ledger.business_date() - 1, 1::bigint, 2::bigint, 2::bigint)$$,
                  'Should close at READ COMMITTED');
SELECT results_eq($$SELECT balance, snapshot_source FROM ledger.get_balance('CASH', ledger.business_date() - 1)$$,
                  $$VALUES (42.00::numeric, 'snapshot'::text)$$, 'Should read the snapshot at READ COMMITTED');
SELECT is(pg_sequence_last_value('ledger_private.close_publication'), (pg_current_xact_id()::text)::bigint,
          'Should publish the closing transaction for postings that began before it');
SELECT throws_ok($$SELECT ledger.set_ledger_settings('UTC')$$, 'DX016', NULL,
                 'Should refuse set_ledger_settings below SERIALIZABLE (DX016)');
SELECT throws_ok($$INSERT INTO ledger_private.journal (journal_id, idempotency_key, effective_date)
                   VALUES ('01900000-0000-7000-8000-000000000d02', 'direct-2', ledger.business_date() - 1)$$,
                 'DX025', NULL, 'Should guard direct inserts at READ COMMITTED too (DX025)');

SELECT * FROM finish();
ROLLBACK;
