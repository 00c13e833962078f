-- Costs a caller could choose, bounded where the ledger puts its limits (api_limit): the
-- effective-date window around the business date (every writer: the trigger checks), an
-- account's metadata (the journal's cap), the reconciliation tolerance, the pairing rounds a
-- session setting could multiply, a list_journals page's legs and the DX035 detail. Each is
-- refused with its code and writes nothing; each follows a changed api_limit.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(28);
\ir helpers/fixtures.sql

SELECT is(tap.create_accounts('CASH EUR asset', 'LIAB EUR liability'), 2, 'Should open two accounts');
INSERT INTO snapshot VALUES ('start', tap.row_counts());

-- The effective-date window ------------------------------------------------------------------
SELECT lives_ok($$SELECT ledger.post_journal('w-back', tap.pair(), effective_date => tap.d(366))$$,
                'Should post 366 days before the business date');
SELECT lives_ok($$SELECT ledger.post_journal('w-ahead', tap.pair(), effective_date => tap.d(-366))$$,
                'Should post 366 days after the business date');
INSERT INTO snapshot VALUES ('window', tap.row_counts());
SELECT throws_ok($$SELECT ledger.post_journal('w-old', tap.pair(), effective_date => tap.d(367))$$,
                 'DX029', format('effective_date: %s is more than 366 days before the current business '
                                 'date %s of tenant default', tap.d(367), tap.d(0)),
                 'Should refuse a date 367 days back (DX029), naming the limit');
SELECT throws_ok($$SELECT ledger.post_journal('w-far', tap.pair(), effective_date => tap.d(-367))$$,
                 'DX029', NULL, 'Should refuse a date 367 days ahead (DX029)');
SELECT throws_ok($$SELECT ledger.post_journal('w-1900', tap.pair(), effective_date => '1900-01-01')$$,
                 'DX029', NULL, 'Should refuse a date a century back (DX029)');
SELECT is((SELECT r.status || ' ' || r.error_code
             FROM ledger.post_journals(jsonb_build_array(
                      jsonb_build_object('idempotency_key', 'w-batch', 'legs', tap.pair(),
                                         'effective_date', tap.d(400)))) AS r),
          'rejected DX029', 'Should reject a batch request dated beyond the window in its result');
SELECT throws_ok($$INSERT INTO ledger_private.journal (journal_id, idempotency_key, effective_date)
                   VALUES (gen_random_uuid(), 'w-direct', '1900-01-01')$$,
                 'DX029', NULL, 'Should refuse the owner''s direct INSERT beyond the window too');
SELECT is(tap.row_counts(), (SELECT counts FROM snapshot WHERE label = 'window'),
          'Should write nothing for a date beyond the window');

-- Account metadata: the journal's cap ------------------------------------------------------
SELECT lives_ok($$SELECT ledger.create_account('META-OK', 'm', 'EUR',
                      metadata => jsonb_build_object('k', repeat('x', 16384 - 9)))$$,
                'Should open an account with 16,384 bytes of metadata');
SELECT throws_ok($$SELECT ledger.create_account('META-BIG', 'm', 'EUR',
                       metadata => jsonb_build_object('k', repeat('x', 16384 - 8)))$$,
                 'DX018', 'metadata: at most 16384 bytes of JSON, got 16385',
                 'Should refuse an account''s metadata one byte over metadata_bytes (DX018)');

-- Reconciliation tolerance -----------------------------------------------------------------
SELECT lives_ok($$SELECT ledger.recon_run('CASH', tap.d(0), tolerance => 1000)$$,
                'Should run with the largest tolerance');
SELECT throws_ok($$SELECT ledger.recon_run('CASH', tap.d(0), tolerance => 1000.01)$$,
                 'DX037', 'tolerance: 1000.01 is not an amount from 0 to 1000',
                 'Should refuse a tolerance over recon_tolerance_max (DX037)');
SELECT throws_ok($$SELECT ledger.recon_run('CASH', tap.d(0), tolerance => 1e300)$$,
                 'DX037', NULL, 'Should refuse a huge tolerance before any pairing (DX037)');

-- Pairing rounds: a session asking for rounds only still gets at most recon_pair_rounds of
-- them, and the same pairs. A chain of 40 lines and legs one cent apart takes one round per
-- pair when rounds are all there is.
SELECT lives_ok($$
    SELECT ledger.post_journal('c-' || i, tap.pair('CASH', 'LIAB', to_char(1.01 + 0.02 * i, 'FM0.00')),
                               ref => 'J' || i, effective_date => tap.d(1))
      FROM generate_series(0, 39) AS i;
    SELECT tap.import('CASH', ARRAY(SELECT format('%s|%s|L%s|%s|||', i + 1, tap.d(1), i,
                                                  to_char(1.00 + 0.02 * i, 'FM0.00'))
                                      FROM generate_series(0, 39) AS i));
$$, 'Should post 40 legs and import 40 lines one cent apart');
CREATE FUNCTION pg_temp.rounds_of(p_share text) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    v_matched integer;
BEGIN
    PERFORM set_config('doublex.recon_round_share', p_share, true);
    SELECT r.matched INTO v_matched FROM ledger.recon_run('CASH', tap.d(1)) AS r;
    PERFORM set_config('doublex.recon_round_share', '', true);
    RETURN v_matched;
END
$$;
SELECT is(pg_temp.rounds_of('0'), 40, 'Should pair all 40 with rounds only asked for');
SELECT is(pg_temp.rounds_of('1'), 40, 'Should pair all 40 with one round, then the sequential pass');
SELECT is((SELECT string_agg(format('%s=%s', i.bank_amount, i.ledger_amount), ',' ORDER BY i.line)
             FROM ledger.recon_items(tap.d(1), 'CASH') AS i WHERE i.kind = 'matched'),
          (SELECT string_agg(format('%s=%s', to_char(1.00 + 0.02 * i, 'FM0.00'),
                                    to_char(1.01 + 0.02 * i, 'FM0.00')), ',' ORDER BY i)
             FROM generate_series(0, 39) AS i),
          'Should pair line k with leg k');
SELECT ok(position('recon_pair_rounds' IN pg_get_functiondef('ledger_private.recon_pair_greedy(smallint)'::regprocedure)) > 0,
          'Should bound the rounds by api_limit(''recon_pair_rounds'')');

-- A list_journals page stops at page_legs legs (at least one journal) ------------------------
SELECT lives_ok($$SELECT ledger.post_journal('big-' || i,
                          (SELECT jsonb_agg(x) FROM (SELECT jsonb_array_elements(tap.pair('CASH', 'LIAB', '1.00')) AS x
                                                       FROM generate_series(1, 250)) AS l),
                          effective_date => tap.d(2))
                   FROM generate_series(1, 25) AS i$$,
                'Should post 25 journals of 500 legs');
SELECT is((SELECT count(*)::integer FROM ledger.list_journals(tap.d(2), tap.d(2), page_size => 1000)), 10,
          'Should stop a page of 500-leg journals after 10 (5,000 legs)');
SELECT is((SELECT count(*)::integer
             FROM ledger.list_journals(tap.d(2), tap.d(2), account => 'CASH', page_size => 1000)), 10,
          'Should stop an account''s page at 5,000 legs too');
SELECT is((SELECT count(*)::integer
             FROM ledger.list_journals(tap.d(2), tap.d(2),
                      after_cursor => (SELECT max(j.cursor) FROM ledger.list_journals(tap.d(2), tap.d(2), page_size => 1000) AS j),
                      page_size => 1000)), 10,
          'Should continue after the cursor of the stopped page');
SELECT is((SELECT count(*)::integer FROM ledger.list_journals(tap.d(2), tap.d(2), page_size => 3)), 3,
          'Should keep page_size when the legs stay under page_legs');

-- DX035 lists the first problem_lines_shown lines, then how many more; values are cut ------
SELECT is(tap.detail_of($$SELECT tap.import('CASH', ARRAY(SELECT format('%s|%s|r|%s|||', i, tap.d(0), repeat('9x', 5000))
                                                                FROM generate_series(1, 1000) AS i))$$),
          (SELECT string_agg(format('line %s: amount: ''%s'' is not a number', i, repeat('9x', 20)), E'\n' ORDER BY i)
             FROM generate_series(1, 20) AS i) || E'\nand 980 more line(s)',
          'Should list 20 bad lines with values cut to 40 characters, then how many more');
SELECT is(length(tap.detail_of($$SELECT tap.import('CASH', ARRAY(SELECT format('%s|%s|r|%s|||', i, repeat('d', 100000), 'x')
                                                                       FROM generate_series(1, 100) AS i))$$)) < 4000,
          true, 'Should keep the detail short whatever the lines hold');

-- A changed limit is followed ---------------------------------------------------------------
CREATE OR REPLACE FUNCTION ledger_private.api_limit(p_name text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE p_name WHEN 'effective_date_days_back' THEN 3 WHEN 'effective_date_days_ahead' THEN 0
                       ELSE 1000000 END
$$;
SELECT throws_ok($$SELECT ledger.post_journal('w-4', tap.pair(), effective_date => tap.d(4))$$,
                 'DX029', NULL, 'Should refuse 4 days back once the window is 3 days');
SELECT throws_ok($$SELECT ledger.post_journal('w-tomorrow', tap.pair(), effective_date => tap.d(-1))$$,
                 'DX029', NULL, 'Should refuse tomorrow once the window ends today');

SELECT * FROM finish();
ROLLBACK;
