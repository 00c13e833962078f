-- Reconciliation: statement staging and import (all or nothing, idempotent per file and per
-- line, every bad line listed), ledger.recon_run's two passes and exceptions, tolerance
-- boundaries, deterministic ties, the sign convention, re-runs that replace the result, the
-- reports and the mismatch totals, the application role's path, errors by SQLSTATE.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(83);

\ir helpers/fixtures.sql

-- The tenants this file uses besides default (#14: a tenant exists before it is used).
DO $$ BEGIN PERFORM ledger.create_tenant(t) FROM unnest(ARRAY['acme']) AS t; END $$;

-- A journal moving `amount` between `account` (on `side`) and its counter account.
CREATE FUNCTION tap.post(p_key text, p_account text, p_side text, p_amount text, p_ref text,
                         p_date date, p_counter text DEFAULT 'INC', p_ccy text DEFAULT 'EUR')
RETURNS uuid
LANGUAGE sql AS $$
    SELECT journal_id FROM ledger.post_journal(
        p_key,
        jsonb_build_array(
            jsonb_build_object('account', p_account, 'side', p_side, 'amount', p_amount, 'ccy', p_ccy),
            jsonb_build_object('account', p_counter,
                               'side', CASE p_side WHEN 'debit' THEN 'credit' ELSE 'debit' END,
                               'amount', p_amount, 'ccy', p_ccy)),
        p_date, ref => p_ref)
$$;

-- (tap.import, the statement importer, is in helpers/fixtures.sql.)

-- The first day's statement, imported three times below: four valid lines (an empty ccy is
-- the account's, a lower-case one is accepted).
CREATE FUNCTION tap.day1_statement() RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT ARRAY[tap.dates('2|2026-11-02|R1|100.00|EUR|first|'),
                 tap.dates('3|2026-11-02|R2|-40.05|EUR|second|'),
                 tap.dates('4|2026-11-02|RX3|7.01||typo|'),
                 tap.dates('5|2026-11-02|R9|12|eur|extra|')]
$$;

-- The outcomes of the current run of an account and date, as comparable text.
CREATE FUNCTION tap.outcomes(p_account text, p_date date)
RETURNS TABLE (kind text, match_pass integer, line integer, ref text, journal_ref text,
               amount numeric, delta numeric)
LANGUAGE sql AS $$
    SELECT i.kind, i.match_pass::integer, i.line, i.ref, i.journal_ref, i.amount, i.delta
      FROM ledger.recon_items(p_date, p_account) AS i
$$;

SELECT lives_ok($$
    SELECT ledger.create_account(a.code, a.code, a.ccy, a.type)
      FROM (VALUES ('CASH', 'EUR', 'asset'), ('INC', 'EUR', 'income'), ('LIAB', 'EUR', 'liability'),
                   ('BHD-CASH', 'BHD', 'asset'), ('BHD-INC', 'BHD', 'income'),
                   ('APP-CASH', 'EUR', 'asset')) AS a (code, ccy, type)
$$, 'Should create the accounts of the tests');

-- Import ------------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT status, account, lines, added, skipped
        FROM tap.import('CASH', tap.day1_statement(), 'day1.csv')$$,
    $$VALUES ('imported'::text, 'CASH'::text, 4, 4, 0)$$,
    'Should import four valid lines (empty ccy = the account''s, lower case accepted)');
SELECT results_eq(
    $$SELECT line_no, line_date, ref, amount::text, ccy, description, bank_id
        FROM ledger_private.statement_line ORDER BY line_id$$,
    $$VALUES (2, tap.day('2026-11-02'), 'R1'::text, '100.00'::text, 'EUR'::text, 'first'::text, NULL::text),
             (3, tap.day('2026-11-02'), 'R2', '-40.05', 'EUR', 'second', NULL),
             (4, tap.day('2026-11-02'), 'RX3', '7.01', 'EUR', 'typo', NULL),
             (5, tap.day('2026-11-02'), 'R9', '12.00', 'EUR', 'extra', NULL)$$,
    'Should store the lines in file order, amounts at the currency''s scale');
SELECT results_eq(
    $$SELECT status, lines, added, skipped
        FROM tap.import('CASH', tap.day1_statement(), 'day1-again.csv')$$,
    $$VALUES ('duplicate'::text, 4, 0, 4)$$,
    'Should answer duplicate and add nothing when the same file is imported again');
SELECT results_eq(
    $$SELECT status, lines, added, skipped
        FROM tap.import('CASH', ARRAY[tap.dates('7|2026-11-02|R1|100.00|||'),
                                      tap.dates('8|2026-11-02|R10|1.00|||B-1'),
                                      tap.dates('9|2026-11-02|R11|2.00|||B-1')], 'day1-overlap.csv')$$,
    $$VALUES ('imported'::text, 3, 1, 2)$$,
    'Should skip a line known by date, ref and amount, and a repeated bank id');
SELECT is((SELECT count(*)::integer FROM ledger_private.statement_line), 5,
          'Should hold five statement lines after the overlapping import');
SELECT is((SELECT count(*)::integer FROM ledger_private.statement_import), 2,
          'Should record two imports (the duplicate file adds none)');
SELECT results_eq(
    $$SELECT status, added FROM tap.import('CASH', ARRAY['1|' || to_char(tap.day('2026-11-02'), 'DD.MM.YYYY') || '|R20|3.00|||'], 'de.csv', 'DD.MM.YYYY')$$,
    $$VALUES ('imported'::text, 1)$$,
    'Should read dates in a given format (DD.MM.YYYY)');
SELECT is((SELECT line_date FROM ledger_private.statement_line WHERE ref = 'R20'), tap.day('2026-11-02'),
          'Should store the date read with that format');
-- The date format is part of the file's identity: a file read with the wrong format (every
-- day ≤ 12, so nothing fails) is imported again when the format is corrected. The same
-- one-line file, imported three times in this order, answers 'status added':
SELECT is((SELECT format('%s %s', i.status, i.added)
             FROM tap.import('CASH', ARRAY['1|03.04.2026|R31|4.00|||'], 'us.csv', t.date_format) AS i),
          t.answer, t.description)
  FROM (VALUES
    ('MM.DD.YYYY', 'imported 1', 'Should import an ambiguous date read with the wrong format (MM.DD.YYYY)'),
    ('DD.MM.YYYY', 'imported 1',
     'Should import the same file again, not answer duplicate, when the date format changes'),
    ('DD.MM.YYYY', 'duplicate 0', 'Should answer duplicate for the same file and the same format')
       ) AS t (date_format, answer, description);
SELECT results_eq(
    $$SELECT line_date FROM ledger_private.statement_line WHERE ref = 'R31' ORDER BY line_id$$,
    $$VALUES ('2026-03-04'::date), ('2026-04-03'::date)$$,  -- statement dates: no window
    'Should keep the wrongly read line (append-only) and add the line read with the right format');
SELECT results_eq(
    $$SELECT status, added
        FROM tap.import('CASH', tap.day1_statement(), 'day1.csv', 'YYYY-MM-DD')$$,
    $$VALUES ('duplicate'::text, 0)$$,
    'Should treat the default format named explicitly as the default (duplicate)');

CREATE TEMP TABLE counts_before ON COMMIT DROP AS
    SELECT (SELECT count(*) FROM ledger_private.statement_line) AS lines,
           (SELECT count(*) FROM ledger_private.statement_import) AS imports;
SELECT throws_ok($$SELECT tap.import('CASH', ARRAY[tap.dates('1|2026-11-02|OK|1.00|||'),
                                                   '2|2026-02-30|A|1.00|||',
                                                   tap.dates('3|2026-11-02|B|1.005|||'),
                                                   tap.dates('4|2026-11-02|C|12,50|||'),
                                                   tap.dates('5|2026-11-02|D|1.00|USD||'),
                                                   tap.dates('6|2026-11-02||1.00|||'),
                                                   '7|||||||'])$$,
                 'DX035', NULL, 'Should refuse a statement with bad lines (DX035)');
SELECT is((SELECT count(*) FROM ledger_private.statement_line), (SELECT lines FROM counts_before),
          'Should import no line of a statement with a bad one');
SELECT is((SELECT count(*) FROM ledger_private.statement_import), (SELECT imports FROM counts_before),
          'Should record no import of a statement with a bad line');
CREATE FUNCTION tap.import_error(p_lines text[]) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_detail text;
BEGIN
    PERFORM tap.import('CASH', p_lines);
    RETURN NULL;
EXCEPTION WHEN SQLSTATE 'DX035' THEN
    GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
    RETURN v_detail;
END
$$;
SELECT is(tap.import_error(ARRAY[tap.dates('1|2026-11-02|OK|1.00|||'), '2|2026-02-30|A|1.00|||',
                                 tap.dates('3|2026-11-02|B|1.005|||'), tap.dates('4|2026-11-02|C|12,50|||'),
                                 tap.dates('5|2026-11-02|D|1.00|USD||'), tap.dates('6|2026-11-02||1.00|||'),
                                 '7|||||||']),
          concat_ws(E'\n',
              'line 2: date: ''2026-02-30'' is not a date (YYYY-MM-DD)',
              'line 3: amount: 1.005 has more decimals than EUR allows (2)',
              'line 4: amount: ''12,50'' is not a number',
              'line 5: ccy: ''USD'' is not the account''s currency EUR',
              'line 6: ref: missing, and the line has no id',
              'line 7: date: missing; amount: missing; ref: missing, and the line has no id'),
          'Should list every bad line by number with each reason');
SELECT throws_ok($$SELECT tap.import('CASH', ARRAY[]::text[])$$, 'DX035', NULL,
                 'Should refuse a statement without lines (DX035)');
SELECT throws_ok($$SELECT tap.import('CASH', ARRAY[tap.dates('1|2026-11-02|R|1.00|||')], 'x.csv', 'DD.MM')$$,
                 'DX039', NULL, 'Should refuse a date format without a year (DX039)');
SELECT throws_ok($$SELECT tap.import('NOPE', ARRAY[tap.dates('1|2026-11-02|R|1.00|||')])$$, 'DX020', NULL,
                 'Should refuse an unknown account (DX020)');
SELECT throws_ok($$SELECT tap.import('CASH', ARRAY[tap.dates('1|2026-11-02|R|1.00|||')], repeat('f', 501))$$,
                 'DX039', NULL, 'Should refuse a file name over 500 characters (DX039)');
SELECT throws_ok($$SELECT ledger.stage_statement(tenant => 'bad tenant')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant (DX019)');
DROP TABLE pg_temp.doublex_statement_staging;
SELECT throws_ok($$SELECT ledger.import_statement('CASH')$$, 'DX036', NULL,
                 'Should refuse to import when nothing is staged (DX036)');
CREATE TEMP TABLE doublex_statement_staging (line_no integer);
SELECT throws_ok($$SELECT ledger.stage_statement()$$, 'DX036', NULL,
                 'Should not take over a staging table someone else created (DX036)');
SELECT throws_ok($$SELECT ledger.import_statement('CASH')$$, 'DX036', NULL,
                 'Should not read a staging table someone else created (DX036)');
DROP TABLE pg_temp.doublex_statement_staging;

-- The application role: EXECUTE only, yet it can stage and import ------------------------
SET LOCAL ROLE doublex_app;
SELECT ledger.stage_statement();
INSERT INTO pg_temp.doublex_statement_staging (line_no, line_date, ref, amount)
VALUES (2, tap.day('2026-11-09'), 'APP-1', '5.00');
CREATE TEMP TABLE app_import ON COMMIT DROP AS SELECT * FROM ledger.import_statement('APP-CASH', 'app.csv');
RESET ROLE;
SELECT results_eq($$SELECT status, added FROM app_import$$, $$VALUES ('imported'::text, 1)$$,
                  'Should let doublex_app stage lines and import them');
SELECT ok(NOT has_table_privilege('doublex_app', 'ledger_private.statement_line', 'INSERT'),
          'Should still grant doublex_app nothing on the statement lines');

-- Pass 1, pass 2 and the exceptions --------------------------------------------------------
SELECT lives_ok($$
    SELECT tap.post('d1-1', 'CASH', 'debit', '100.00', 'R1', tap.day('2026-11-02')),
           tap.post('d1-2', 'CASH', 'credit', '40.00', 'R2', tap.day('2026-11-02')),
           tap.post('d1-3', 'CASH', 'debit', '7.00', 'R3', tap.day('2026-11-02')),
           tap.post('d1-4', 'CASH', 'debit', '55.00', 'R4', tap.day('2026-11-02')),
           tap.post('d1-5', 'CASH', 'debit', '1.00', 'R10', tap.day('2026-11-02')),
           tap.post('d1-6', 'CASH', 'debit', '3.00', 'R20', tap.day('2026-11-02')),
           tap.post('d1-x', 'CASH', 'debit', '12.00', 'R9', tap.day('2026-11-03'))
$$, tap.dates('Should post the ledger side of 2026-11-02 (and one leg a day later)'));
SELECT results_eq(
    $$SELECT statement_lines, legs, matched, unmatched, amount_mismatch, missing_in_ledger,
             missing_in_bank, bank_total::text, ledger_total::text, difference::text, tolerance
        FROM ledger.recon_run('CASH', tap.day('2026-11-02'))$$,
    $$VALUES (6, 6, 4, 3, 1, 1, 1, '82.96'::text, '126.00'::text, '-43.04'::text, 0.01::numeric)$$,
    'Should count matches and each kind of exception, and total both sides (bank view)');
SELECT results_eq(
    $$SELECT * FROM tap.outcomes('CASH', tap.day('2026-11-02'))$$,
    $$VALUES ('amount_mismatch'::text, 1, 3, 'R2'::text, 'R2'::text, -40.05, -0.05),
             ('missing_in_ledger', NULL, 5, 'R9', NULL, 12.00, 12.00),
             ('missing_in_bank', NULL, NULL, NULL, 'R4', 55.00, -55.00),
             ('matched', 1, 1, 'R20', 'R20', 3.00, 0.00),
             ('matched', 1, 2, 'R1', 'R1', 100.00, 0.00),
             ('matched', 2, 4, 'RX3', 'R3', 7.01, 0.01),
             ('matched', 1, 8, 'R10', 'R10', 1.00, 0.00)$$,
    'Should match by ref, then by amount; pair the mismatch; list what is missing on each side');
SELECT is((SELECT sum(delta) FROM ledger.recon_items(tap.day('2026-11-02'), 'CASH')),
          (SELECT difference FROM ledger.recon_summaries(tap.day('2026-11-02'), 'CASH')),
          'Should have deltas that add up to bank total − ledger total');

-- Re-runs -------------------------------------------------------------------------------------
SELECT is((SELECT matched FROM ledger.recon_run('CASH', tap.day('2026-11-02'))), 4,
          'Should give the same result when run again');
SELECT is((SELECT count(*)::integer FROM ledger_private.recon_outcome
            WHERE business_date = tap.day('2026-11-02')), 7,
          'Should replace the previous outcomes, never duplicate them');
SELECT is((SELECT count(*)::integer FROM ledger_private.recon_run WHERE business_date = tap.day('2026-11-02')), 2,
          'Should log both runs');
SELECT is((SELECT run_id FROM ledger.recon_summaries(tap.day('2026-11-02'), 'CASH')),
          (SELECT max(run_id) FROM ledger_private.recon_run WHERE business_date = tap.day('2026-11-02')),
          'Should report the latest run');
SELECT results_eq(
    $$SELECT kind, total FROM ledger.recon_mismatch_totals()$$,
    $$VALUES ('amount_mismatch'::text, 2::bigint), ('missing_in_bank', 2), ('missing_in_ledger', 2)$$,
    'Should count the exceptions of every run by kind');
SELECT lives_ok($$SELECT tap.post('d1-9', 'CASH', 'debit', '12.00', 'R9', tap.day('2026-11-02'))$$,
                'Should post the missing journal');
SELECT results_eq(
    $$SELECT matched, missing_in_ledger, missing_in_bank FROM ledger.recon_run('CASH', tap.day('2026-11-02'))$$,
    $$VALUES (5, 0, 1)$$,
    'Should match the line once its journal is posted');
SELECT throws_ok($$UPDATE ledger_private.recon_run SET matched = 0$$, 'DX017', NULL,
                 'Should keep the run log append-only (DX017)');
SELECT throws_ok($$DELETE FROM ledger_private.statement_line$$, 'DX017', NULL,
                 'Should keep statement lines append-only (DX017)');

-- Tolerance boundaries (BHD has three decimals) ------------------------------------------------
SELECT lives_ok($$
    SELECT tap.post('t-1', 'BHD-CASH', 'debit', '10.000', 'T1', tap.day('2026-11-04'), 'BHD-INC', 'BHD'),
           tap.post('t-2', 'BHD-CASH', 'debit', '20.000', 'T2', tap.day('2026-11-04'), 'BHD-INC', 'BHD'),
           tap.post('t-3', 'BHD-CASH', 'debit', '30.000', NULL, tap.day('2026-11-04'), 'BHD-INC', 'BHD'),
           tap.post('t-4', 'BHD-CASH', 'debit', '40.000', NULL, tap.day('2026-11-04'), 'BHD-INC', 'BHD'),
           tap.import('BHD-CASH', ARRAY[tap.dates('1|2026-11-04|T1|10.010|||'), tap.dates('2|2026-11-04|T2|20.011|||'),
                                        tap.dates('3|2026-11-04|X3|30.010|||'), tap.dates('4|2026-11-04|X4|40.011|||')])
$$, 'Should post and import the tolerance cases');
SELECT results_eq(
    $$SELECT matched, amount_mismatch, missing_in_ledger, missing_in_bank
        FROM ledger.recon_run('BHD-CASH', tap.day('2026-11-04'))$$,
    $$VALUES (2, 1, 1, 1)$$,
    'Should reconcile the tolerance cases at the default tolerance');
SELECT results_eq(
    $$SELECT kind, match_pass, line, delta FROM tap.outcomes('BHD-CASH', tap.day('2026-11-04'))
       ORDER BY line NULLS LAST$$,
    $$VALUES ('matched'::text, 1, 1, 0.010), ('amount_mismatch', 1, 2, 0.011),
             ('matched', 2, 3, 0.010), ('missing_in_ledger', NULL, 4, 40.011),
             ('missing_in_bank', NULL, NULL, -40.000)$$,
    'Should match a difference of exactly 0.01 in either pass, and not one of 0.011');
SELECT results_eq(
    $$SELECT matched, amount_mismatch FROM ledger.recon_run('BHD-CASH', tap.day('2026-11-04'), 0.011)$$,
    $$VALUES (4, 0)$$,
    'Should match 0.011 with a tolerance of 0.011 (inclusive)');
SELECT results_eq(
    $$SELECT matched, amount_mismatch, missing_in_ledger FROM ledger.recon_run('BHD-CASH', tap.day('2026-11-04'), 0)$$,
    $$VALUES (0, 2, 2)$$,
    'Should match only exact amounts with a tolerance of 0');

-- Ties and smallest difference first ------------------------------------------------------------
CREATE TEMP TABLE tie_leg ON COMMIT DROP AS
    SELECT k, tap.post(k, 'CASH', 'debit', a, NULL, tap.day('2026-11-05')) AS journal_id
      FROM (VALUES ('tie-50a', '50.00'), ('tie-50b', '50.00'), ('tie-50c', '50.00'),
                   ('tie-30', '30.00'), ('tie-60a', '60.00'), ('tie-60b', '60.02'),
                   ('tie-70', '70.00')) AS v (k, a);
SELECT lives_ok($$
    SELECT tap.import('CASH', ARRAY[tap.dates('1|2026-11-05|L1|50.00|||'), tap.dates('2|2026-11-05|L2|50.00|||'),
                                    tap.dates('3|2026-11-05|L3|29.99|||'), tap.dates('4|2026-11-05|L4|30.01|||'),
                                    tap.dates('5|2026-11-05|L5|60.01|||'),
                                    tap.dates('6|2026-11-05|L6|70.01|||'), tap.dates('7|2026-11-05|L7|70.00|||')])
$$, 'Should import the tie cases');
SELECT is((SELECT missing_in_bank FROM ledger.recon_run('CASH', tap.day('2026-11-05'))), 2,
          'Should leave one 50.00 leg and one 60.xx leg without a line');
CREATE TEMP TABLE tie_pair ON COMMIT DROP AS
    SELECT i.line, t.k FROM ledger.recon_items(tap.day('2026-11-05'), 'CASH') AS i
      LEFT JOIN tie_leg AS t ON t.journal_id = i.journal_id;
SELECT results_eq(
    $$SELECT line, k FROM tie_pair WHERE line IN (1, 2) ORDER BY line$$,
    $$SELECT row_number() OVER (ORDER BY journal_id)::integer, k FROM tie_leg
       WHERE k LIKE 'tie-50%' ORDER BY journal_id LIMIT 2$$,
    'Should pair equal amounts in order: first line with the smallest journal id, and so on');
SELECT results_eq(
    $$SELECT line, k FROM tie_pair WHERE line IN (3, 4) ORDER BY line$$,
    $$VALUES (3, 'tie-30'::text), (4, NULL)$$,
    'Should give a leg two lines equally far from it to the earlier line');
SELECT is((SELECT k FROM tie_pair WHERE line = 5),
          (SELECT k FROM tie_leg WHERE k IN ('tie-60a', 'tie-60b') ORDER BY journal_id LIMIT 1),
          'Should give a line two legs equally far from it to the smaller journal id');
SELECT results_eq(
    $$SELECT line, k FROM tie_pair WHERE line IN (6, 7) ORDER BY line$$,
    $$VALUES (6, NULL::text), (7, 'tie-70'::text)$$,
    'Should pair the smallest difference first, whatever the line order');
SELECT is((SELECT count(*)::integer FROM ledger.recon_run('CASH', tap.day('2026-11-05'))), 1,
          'Should run the tie cases again');
SELECT set_eq(
    $$SELECT i.line, t.k FROM ledger.recon_items(tap.day('2026-11-05'), 'CASH') AS i
        LEFT JOIN tie_leg AS t ON t.journal_id = i.journal_id$$,
    $$SELECT line, k FROM tie_pair$$,
    'Should pair the same way on every run');

-- Sign convention: a debit to the account is money in ----------------------------------------
SELECT lives_ok($$
    SELECT tap.post('s-1', 'CASH', 'credit', '25.00', 'S1', tap.day('2026-11-06')),
           tap.post('s-2', 'CASH', 'debit', '25.00', 'S2', tap.day('2026-11-06')),
           tap.post('s-3', 'LIAB', 'debit', '12.00', 'S3', tap.day('2026-11-06')),
           tap.import('CASH', ARRAY[tap.dates('1|2026-11-06|S1|-25.00|||'), tap.dates('2|2026-11-06|S2|25.00|||')]),
           tap.import('LIAB', ARRAY[tap.dates('1|2026-11-06|S3|12.00|||')])
$$, 'Should post a payment out, a payment in, and a debit to a liability');
SELECT is((SELECT matched FROM ledger.recon_run('CASH', tap.day('2026-11-06'))), 2,
          'Should match the payment out and the payment in');
SELECT results_eq(
    $$SELECT line, ledger_amount, kind FROM ledger.recon_items(tap.day('2026-11-06'), 'CASH') ORDER BY line$$,
    $$VALUES (1, -25.00, 'matched'::text), (2, 25.00, 'matched')$$,
    'Should sign a credit to the account as money out (−) and a debit as money in (+)');
SELECT results_eq(
    $$SELECT matched, ledger_total FROM ledger.recon_run('LIAB', tap.day('2026-11-06'))$$,
    $$VALUES (1, 12.00)$$,
    'Should sign a debit as money in whatever the account type');
SELECT lives_ok($$SELECT tap.import('CASH', ARRAY[tap.dates('1|2026-11-07|S7|25.00|||')]),
                         tap.post('s-7', 'CASH', 'credit', '25.00', 'S7-x', tap.day('2026-11-07'))$$,
                'Should import money in against a ledger payment out');
SELECT results_eq(
    $$SELECT matched, missing_in_ledger, missing_in_bank FROM ledger.recon_run('CASH', tap.day('2026-11-07'), 100)$$,
    $$VALUES (1, 0, 0)$$,
    'Should match opposite signs only when the tolerance covers the whole gap (50.00)');
SELECT results_eq(
    $$SELECT matched, missing_in_ledger, missing_in_bank FROM ledger.recon_run('CASH', tap.day('2026-11-07'))$$,
    $$VALUES (0, 1, 1)$$,
    'Should never match +25.00 with a payment out of 25.00');

-- Pass 2's worst case: amounts one tolerance step apart, alternating between lines and legs
-- (lines 1.00, 1.02, …; legs 1.01, 1.03, …), every edge a difference of 0.01: a chain in the
-- tie-break order. Greedy (by line id) pairs line k with leg k, whichever way it is computed.
SELECT lives_ok($$
    SELECT tap.post('chain-' || i, 'CASH', 'debit', to_char(1.01 + 0.02 * i, 'FM0.00'), 'CHAIN-J' || i,
                    tap.day('2026-11-09'))
      FROM generate_series(0, 29) AS i;
    SELECT tap.import('CASH', ARRAY(SELECT format(tap.dates('%s|2026-11-09|CHAIN-L%s|%s|||'), i + 1, i,
                                                  to_char(1.00 + 0.02 * i, 'FM0.00'))
                                      FROM generate_series(0, 29) AS i), 'chain.csv');
$$, 'Should post 30 legs and import 30 lines one tolerance step apart, alternating');
CREATE TEMP TABLE chain_runs (share text, matched integer, pairs text) ON COMMIT DROP;
CREATE FUNCTION tap.chain_run(p_share text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('doublex.recon_round_share', p_share, true);
    INSERT INTO chain_runs (share, matched)
    SELECT p_share, r.matched FROM ledger.recon_run('CASH', tap.day('2026-11-09')) AS r;
    UPDATE chain_runs AS c
       SET pairs = (SELECT string_agg(format('%s=%s', i.bank_amount, i.ledger_amount), ','
                                      ORDER BY i.line)
                      FROM ledger.recon_items(tap.day('2026-11-09'), 'CASH') AS i WHERE i.kind = 'matched')
     WHERE c.share = p_share;
    PERFORM set_config('doublex.recon_round_share', '', true);
END
$$;
SELECT lives_ok($$SELECT tap.chain_run(s) FROM unnest(ARRAY['', '0', '1', '0.5']) AS s$$,
                'Should run the chain with the default, rounds only, and sequential finishes');
SELECT results_eq(
    $$SELECT DISTINCT matched, pairs FROM chain_runs$$,
    $$SELECT 30, string_agg(format('%s=%s', to_char(1.00 + 0.02 * i, 'FM0.00'),
                                   to_char(1.01 + 0.02 * i, 'FM0.00')), ',' ORDER BY i)
        FROM generate_series(0, 29) AS i$$,
    'Should pair line k with leg k in every way of computing the greedy');

-- Reports and errors --------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT account FROM ledger.recon_summaries(tap.day('2026-11-06'))$$,
    $$VALUES ('CASH'::text), ('LIAB')$$,
    'Should summarise every account reconciled on a date, by code');
SELECT is((SELECT count(*)::integer FROM ledger.recon_run('CASH', tap.day('2026-12-01'))), 1,
          'Should reconcile a date with nothing on either side');
SELECT results_eq(
    $$SELECT statement_lines, legs, matched, unmatched, bank_total, ledger_total
        FROM ledger.recon_summaries(tap.day('2026-12-01'), 'CASH')$$,
    $$VALUES (0, 0, 0, 0, 0::numeric, 0::numeric)$$,
    'Should report an empty reconciliation as zeros');
SELECT throws_ok($$SELECT * FROM ledger.recon_summaries(tap.day('2026-10-01'))$$, 'DX038', NULL,
                 'Should answer DX038 for a date without runs');
SELECT throws_ok($$SELECT * FROM ledger.recon_items(tap.day('2026-11-02'), 'LIAB')$$, 'DX038', NULL,
                 'Should answer DX038 for an account not reconciled that date');
SELECT throws_ok($$SELECT * FROM ledger.recon_items(tap.day('2026-11-02'), 'NOPE')$$, 'DX020', NULL,
                 'Should answer DX020 for an unknown account');
SELECT throws_ok($$SELECT * FROM ledger.recon_summaries(NULL)$$, 'DX039', NULL,
                 'Should require a business date for a report (DX039)');
SELECT throws_ok($$SELECT * FROM ledger.recon_run('CASH', NULL)$$, 'DX039', NULL,
                 'Should require a business date for a run (DX039)');
SELECT throws_ok($$SELECT * FROM ledger.recon_run('CASH', tap.day('2026-11-02'), -0.01)$$, 'DX037', NULL,
                 'Should refuse a negative tolerance (DX037)');
SELECT throws_ok($$SELECT * FROM ledger.recon_run('CASH', tap.day('2026-11-02'), NULL)$$, 'DX037', NULL,
                 'Should refuse a NULL tolerance (DX037)');
SELECT throws_ok($$SELECT * FROM ledger.recon_run('CASH', tap.day('2026-11-02'), 'NaN')$$, 'DX037', NULL,
                 'Should refuse a NaN tolerance (DX037)');
SELECT throws_ok($$SELECT * FROM ledger.recon_run('NOPE', tap.day('2026-11-02'))$$, 'DX020', NULL,
                 'Should refuse an unknown account (DX020)');
SELECT throws_ok($$SELECT * FROM ledger.recon_run('CASH', tap.day('2026-11-02'), tenant => '')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant (DX019)');
SELECT throws_ok($$SELECT * FROM ledger.recon_mismatch_totals('-')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant for the totals (DX019)');
SELECT throws_ok($$SELECT * FROM ledger.recon_summaries(tap.day('2026-11-02'), tenant => 'acme')$$, 'DX038', NULL,
                 'Should not show another tenant''s runs');
SELECT lives_ok($$SELECT ledger.create_account('CASH', 'Acme cash', 'EUR', tenant => 'acme')$$,
                'Should create CASH in tenant acme');
SELECT results_eq(
    $$SELECT statement_lines, legs FROM ledger.recon_run('CASH', tap.day('2026-11-02'), tenant => 'acme')$$,
    $$VALUES (0, 0)$$,
    'Should reconcile only the tenant''s own lines and legs');

-- Isolation ---------------------------------------------------------------------------------
SELECT ok(EXISTS (SELECT FROM ledger.recon_summaries(tap.day('2026-11-02'))), 'Should read reports at SERIALIZABLE');
CREATE FUNCTION tap.run_at_read_committed() RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_private.require_serializable();
    RETURN 'serializable';
EXCEPTION WHEN SQLSTATE 'DX016' THEN
    RETURN 'DX016';
END
$$;
SELECT is(tap.run_at_read_committed(), 'serializable',
          'Should run these tests at SERIALIZABLE (writes refuse less with DX016)');

SELECT * FROM finish();
ROLLBACK;
