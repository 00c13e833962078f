-- End of day at READ COMMITTED, the level `doublex eod close` uses: the close runs (every
-- statement reads after its fence), the settings setter refuses it (DX016). The data is
-- inserted directly (postings need SERIALIZABLE), checked by the same triggers.
BEGIN;
SELECT plan(7);

SELECT is(current_setting('transaction_isolation'), 'read committed', 'Should run this file at READ COMMITTED');
\ir helpers/fixtures.sql
SELECT tap.direct_books('01900000-0000-7000-8000-000000000d01', 'direct-1', ledger.business_date() - 1);
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
SELECT throws_ok($$INSERT INTO ledger_private.journal (journal_id, idempotency_key, effective_date, created_by)
                   VALUES ('01900000-0000-7000-8000-000000000d02', 'direct-2', ledger.business_date() - 1,
                           'test:direct')$$,
                 'DX025', NULL, 'Should guard direct inserts at READ COMMITTED too (DX025)');

SELECT * FROM finish();
ROLLBACK;
