-- ledger.eod_close: snapshots per account, trial balance per currency, the seal chained with
-- the previous close, earlier open dates closed first and in order, idempotent re-runs,
-- future dates refused, and every error by SQLSTATE with nothing written.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(41);

\ir helpers/fixtures.sql

-- The tenants this file uses besides default (#14: a tenant exists before it is used).
DO $$ BEGIN PERFORM ledger.create_tenant(t) FROM unnest(ARRAY['other']) AS t; END $$;

SELECT lives_ok($$
    SELECT ledger.create_account(a.code, a.code, a.ccy, a.type)
      FROM (VALUES ('CASH', 'EUR', 'asset'), ('SALES', 'EUR', 'income'), ('LOAN', 'EUR', 'liability'),
                   ('IDLE', 'EUR', 'asset'), ('YEN', 'JPY', 'asset'), ('YEN-EQ', 'JPY', 'equity'))
           AS a (code, ccy, type)
$$, 'Should create the accounts');
SELECT lives_ok($$
    SELECT ledger.post_journal('j-5a', tap.pair('CASH', 'SALES', '100.00'), tap.d(5)),
           ledger.post_journal('j-5b', tap.pair('CASH', 'LOAN', '50.00'), tap.d(5)),
           ledger.post_journal('j-3a', tap.pair('SALES', 'CASH', '30.00'), tap.d(3)),
           ledger.post_journal('j-3y', tap.pair('YEN', 'YEN-EQ', '1000', 'JPY'), tap.d(3)),
           ledger.post_journal('j-1a', tap.pair('CASH', 'SALES', '7.50'), tap.d(1)),
           ledger.post_journal('j-0a', tap.pair('CASH', 'SALES', '1.00'), tap.d(0))
$$, 'Should post journals on four dates');

-- Errors first: nothing written -------------------------------------------------------------------
INSERT INTO snapshot VALUES ('before', tap.row_counts());
SELECT throws_ok($$SELECT ledger.eod_close(tap.d(-1))$$, 'DX026', NULL,
                 'Should refuse to close a date after the current business date (DX026)');
SELECT throws_ok($$SELECT ledger.eod_close(NULL)$$, 'DX029', NULL, 'Should refuse a NULL date (DX029)');
SELECT throws_ok($$SELECT ledger.eod_close('infinity')$$, 'DX029', NULL, 'Should refuse an infinite date (DX029)');
SELECT throws_ok($$SELECT ledger.eod_close(tap.d(1), 'bad tenant')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant (DX019)');
SELECT is(tap.row_counts(), (SELECT counts FROM snapshot WHERE label = 'before'),
          'Should have written nothing for the refused closes');

-- Closing d-3 closes d-5 first (d-4 had no activity) ------------------------------------------------
CREATE TEMP TABLE close3 ON COMMIT DROP AS SELECT * FROM ledger.eod_close(tap.d(3));
SELECT results_eq($$SELECT business_date, journals, legs, accounts FROM close3$$,
                  $$VALUES (tap.d(3), 2::bigint, 4::bigint, 6::bigint)$$,
                  'Should return the close of the date asked for with its counts');
SELECT results_eq($$SELECT business_date, journals, legs, accounts FROM ledger_private.day_close ORDER BY 1$$,
                  $$VALUES (tap.d(5), 2::bigint, 4::bigint, 6::bigint), (tap.d(3), 2::bigint, 4::bigint, 6::bigint)$$,
                  'Should close the earlier open date with activity first, and skip the date without any');
SELECT ok((SELECT bool_and(closed_at = now()) FROM ledger_private.day_close), 'Should record the close timestamp');
SELECT results_eq(
    $$SELECT a.code, s.business_date, s.opening_balance, s.debits, s.credits, s.closing_balance
        FROM ledger_private.account_snapshot AS s JOIN ledger_private.account AS a USING (account_id)
       ORDER BY s.business_date, a.code$$,
    $$VALUES ('CASH'::text, tap.d(5), 0::numeric, 150.00::numeric, 0.00::numeric, 150.00::numeric),
             ('IDLE', tap.d(5), 0, 0, 0, 0),
             ('LOAN', tap.d(5), 0, 0.00, 50.00, 50.00),
             ('SALES', tap.d(5), 0, 0.00, 100.00, 100.00),
             ('YEN', tap.d(5), 0, 0, 0, 0),
             ('YEN-EQ', tap.d(5), 0, 0, 0, 0),
             ('CASH', tap.d(3), 150.00, 0.00, 30.00, 120.00),
             ('IDLE', tap.d(3), 0, 0, 0, 0),
             ('LOAN', tap.d(3), 50.00, 0, 0, 50.00),
             ('SALES', tap.d(3), 100.00, 30.00, 0.00, 70.00),
             ('YEN', tap.d(3), 0, 1000, 0, 1000),
             ('YEN-EQ', tap.d(3), 0, 0, 1000, 1000)$$,
    'Should write one snapshot per account, moved or not: opening, debits, credits, closing on the normal side');
SELECT is_empty(
    $$SELECT * FROM ledger_private.account_snapshot WHERE business_date = tap.d(4)$$,
    'Should write no snapshots for the date without any activity that the close went through');
SELECT results_eq(
    $$SELECT s.total_debits, s.total_credits FROM ledger_private.account_snapshot AS s
        JOIN ledger_private.account AS a USING (account_id) WHERE a.code = 'CASH' ORDER BY s.business_date$$,
    $$VALUES (150.00::numeric, 0.00::numeric), (150.00, 30.00)$$,
    'Should keep the cumulative debit and credit totals in each snapshot');
SELECT results_eq(
    $$SELECT business_date, ccy, debits, credits, total_debits, total_credits
        FROM ledger_private.trial_balance ORDER BY 1, 2$$,
    $$VALUES (tap.d(5), 'EUR'::text, 150.00::numeric, 150.00::numeric, 150.00::numeric, 150.00::numeric),
             (tap.d(3), 'EUR', 30.00, 30.00, 180.00, 180.00),
             (tap.d(3), 'JPY', 1000, 1000, 1000, 1000)$$,
    'Should write a trial balance per currency that nets to zero, carried from the previous close');
SELECT is((SELECT trial_balance FROM close3),
          '[{"ccy": "EUR", "debits": "30.00", "credits": "30.00", "total_debits": "180.00", "total_credits": "180.00"},
            {"ccy": "JPY", "debits": "1000", "credits": "1000", "total_debits": "1000", "total_credits": "1000"}]'::jsonb,
          'Should return the trial balance with amounts as strings');

-- The seal chain ------------------------------------------------------------------------------------
SELECT is((SELECT previous_seal FROM ledger_private.day_close WHERE business_date = tap.d(5)), ''::bytea,
          'Should chain the first close to the empty seal');
SELECT is((SELECT previous_seal FROM ledger_private.day_close WHERE business_date = tap.d(3)),
          (SELECT seal FROM ledger_private.day_close WHERE business_date = tap.d(5)),
          'Should chain each close to the previous close''s seal');
SELECT is((SELECT seal FROM close3), (SELECT encode(seal, 'hex') FROM ledger_private.day_close WHERE business_date = tap.d(3)),
          'Should return the seal as hex');
SELECT is((SELECT seal FROM ledger_private.day_close WHERE business_date = tap.d(5)),
          ledger_private.day_seal('default', tap.d(5), ''::bytea),
          'Should seal with day_seal over the date''s journals and legs');
SELECT is((SELECT seal FROM ledger_private.day_close WHERE business_date = tap.d(5)),
          (SELECT sha256(convert_to(format('default|%s', tap.d(5)), 'UTF8')
                         || string_agg(sha256(convert_to(format('%s|%L|%s|%s|%s|%L|%L|%s|%L|%s',
                                j.journal_id, j.idempotency_key, j.kind, j.effective_date,
                                to_char(j.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                                j.memo, j.ref, j.metadata, j.reverses,
                                (SELECT string_agg(format('%s|%s|%s|%s|%s|%s|%s', l.leg_no, l.account_id, l.side,
                                                          l.amount, l.ccy, l.tenant, l.effective_date), ';' ORDER BY l.leg_no)
                                   FROM ledger_private.leg AS l WHERE l.journal_id = j.journal_id)), 'UTF8')),
                                       ''::bytea ORDER BY j.journal_id))
             FROM ledger_private.journal AS j WHERE j.effective_date = tap.d(5)),
          'Should seal SHA-256(previous ‖ tenant|date ‖ per-journal digests in id order)');
SELECT isnt(ledger_private.day_seal('default', tap.d(5), '\x01'::bytea),
            ledger_private.day_seal('default', tap.d(5), ''::bytea),
            'Should make the seal depend on the previous seal');

-- Re-running writes nothing and returns the same ------------------------------------------------------
INSERT INTO snapshot VALUES ('after close3', tap.row_counts());
SELECT results_eq($$SELECT * FROM ledger.eod_close(tap.d(3))$$, $$SELECT * FROM close3$$,
                  'Should return the same result when the date is closed again');
SELECT results_eq($$SELECT * FROM ledger.eod_close(tap.d(4))$$, $$SELECT * FROM close3$$,
                  'Should answer a covered date without activity with the close that covered it');
SELECT results_eq($$SELECT business_date FROM ledger.eod_close(tap.d(5))$$, $$VALUES (tap.d(5))$$,
                  'Should answer an earlier closed date with its own close record');
SELECT is(tap.row_counts(), (SELECT counts FROM snapshot WHERE label = 'after close3'),
          'Should write nothing when re-run');

-- The next close opens from the snapshots; accounts that did not move get a row without movement ---------
CREATE TEMP TABLE close1 ON COMMIT DROP AS SELECT * FROM ledger.eod_close(tap.d(1));
SELECT results_eq($$SELECT business_date, journals, accounts, previous_seal FROM close1$$,
                  $$SELECT tap.d(1), 1::bigint, 6::bigint, (SELECT seal FROM close3)$$,
                  'Should close the next date chained to the previous seal');
SELECT results_eq(
    $$SELECT a.code, s.opening_balance, s.closing_balance FROM ledger_private.account_snapshot AS s
        JOIN ledger_private.account AS a USING (account_id) WHERE s.business_date = tap.d(1) ORDER BY 1$$,
    $$VALUES ('CASH'::text, 120.00::numeric, 127.50::numeric), ('IDLE', 0, 0), ('LOAN', 50.00, 50.00),
             ('SALES', 70.00, 77.50), ('YEN', 1000, 1000), ('YEN-EQ', 1000, 1000)$$,
    'Should open each account at its previous snapshot''s closing balance');
SELECT results_eq(
    $$SELECT a.code, s.debits, s.credits, s.total_debits, s.total_credits FROM ledger_private.account_snapshot AS s
        JOIN ledger_private.account AS a USING (account_id)
       WHERE a.code IN ('IDLE', 'LOAN') AND s.business_date = tap.d(1) ORDER BY 1$$,
    $$VALUES ('IDLE'::text, 0::numeric, 0::numeric, 0::numeric, 0::numeric), ('LOAN', 0, 0, 0.00, 50.00)$$,
    'Should write a row without movement, totals carried, for accounts that did not move');
SELECT results_eq($$SELECT ccy, total_debits, total_credits FROM ledger_private.trial_balance
                     WHERE business_date = tap.d(1) ORDER BY 1$$,
                  $$VALUES ('EUR'::text, 187.50::numeric, 187.50::numeric), ('JPY', 1000, 1000)$$,
                  'Should carry a currency without activity into the trial balance');
SELECT is((SELECT latest_closed_date FROM ledger.eod_status()), tap.d(1),
          'Should move the closed date to the latest close');

-- Closes are append-only --------------------------------------------------------------------------------
SELECT throws_ok($$UPDATE ledger_private.day_close SET journals = 0$$, 'DX017', NULL,
                 'Should refuse to update a close record (DX017)');
SELECT throws_ok($$DELETE FROM ledger_private.account_snapshot$$, 'DX017', NULL,
                 'Should refuse to delete snapshots (DX017)');
SELECT throws_ok($$TRUNCATE ledger_private.trial_balance$$, 'DX017', NULL,
                 'Should refuse to truncate the trial balances (DX017)');

-- A trial balance that does not net to zero (legs written around the triggers) -------------------------
SET LOCAL session_replication_role = replica;
INSERT INTO ledger_private.journal (journal_id, tenant, idempotency_key, effective_date, txid, created_by)
VALUES ('01900000-0000-7000-8000-0000000000aa', 'default', 'broken', tap.d(0), 1, 'test:direct');
INSERT INTO ledger_private.leg (journal_id, leg_no, tenant, account_id, side, amount, ccy, effective_date)
SELECT '01900000-0000-7000-8000-0000000000aa', 1, 'default', a.account_id, 'debit', 5, 'EUR', tap.d(0)
  FROM ledger_private.account AS a WHERE a.code = 'CASH';
SET LOCAL session_replication_role = origin;
INSERT INTO snapshot VALUES ('before broken', tap.row_counts());
SELECT throws_ok($$SELECT ledger.eod_close(tap.d(0))$$, 'DX028', NULL,
                 'Should refuse a close whose trial balance does not net to zero (DX028)');
SELECT is(tap.row_counts(), (SELECT counts FROM snapshot WHERE label = 'before broken'),
          'Should write nothing for the refused close');
SELECT is((SELECT latest_closed_date FROM ledger.eod_status()), tap.d(1),
          'Should leave the closed date where it was');

-- Tenants close on their own --------------------------------------------------------------------------
SELECT lives_ok($$SELECT ledger.create_account('CASH', 'Cash', 'EUR', tenant => 'other'),
                         ledger.create_account('LIAB', 'Funds', 'EUR', 'liability', tenant => 'other'),
                         ledger.post_journal('o-1', tap.pair('CASH', 'LIAB', '3.00'), tap.d(3), tenant => 'other')$$,
                'Should post in tenant other on a date closed in tenant default');
SELECT results_eq($$SELECT business_date, journals FROM ledger.eod_close(tap.d(2), 'other')$$,
                  $$VALUES (tap.d(2), 0::bigint)$$,
                  'Should close tenant other on its own (a date without journals still gets a record)');
SELECT results_eq(
    $$SELECT a.code, s.business_date, s.opening_balance, s.debits, s.credits, s.closing_balance
        FROM ledger_private.account_snapshot AS s JOIN ledger_private.account AS a USING (account_id)
       WHERE s.tenant = 'other' ORDER BY 2, 1$$,
    $$VALUES ('CASH'::text, tap.d(3), 0::numeric, 3.00::numeric, 0::numeric, 3.00::numeric),
             ('LIAB', tap.d(3), 0, 0, 3.00, 3.00),
             ('CASH', tap.d(2), 3.00, 0, 0, 3.00),
             ('LIAB', tap.d(2), 3.00, 0, 0, 3.00)$$,
    'Should write every account''s snapshot on the asked-for date without journals, and only the tenant''s');
SELECT is((SELECT previous_seal FROM ledger_private.day_close WHERE tenant = 'other' AND business_date = tap.d(2)),
          (SELECT seal FROM ledger_private.day_close WHERE tenant = 'other' AND business_date = tap.d(3)),
          'Should chain tenant other''s closes in their own chain');
SELECT is((SELECT previous_seal FROM ledger_private.day_close WHERE tenant = 'other' AND business_date = tap.d(3)),
          ''::bytea, 'Should start tenant other''s chain from the empty seal');

SELECT * FROM finish();
ROLLBACK;
