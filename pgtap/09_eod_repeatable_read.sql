-- At REPEATABLE READ a close has neither a snapshot taken after its fence (READ COMMITTED)
-- nor SSI to abort it on a race (SERIALIZABLE): it is refused (DX016), writing nothing.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT plan(3);

SELECT is(current_setting('transaction_isolation'), 'repeatable read', 'Should run this file at REPEATABLE READ');
SELECT throws_ok($$SELECT ledger.eod_close(ledger.business_date() - 1)$$, 'DX016', NULL,
                 'Should refuse eod_close at REPEATABLE READ (DX016)');
SELECT is((SELECT count(*)::integer FROM ledger_private.day_close), 0, 'Should have closed nothing');

SELECT * FROM finish();
ROLLBACK;
