-- The backdating guard: a trigger on every journal insert refuses a date on or before the
-- tenant's latest closed date (DX025), whatever writes it: post_journal, both paths of
-- post_journals, reverse_journal, a direct INSERT by the owner. Replays still answer.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(24);

\ir helpers/fixtures.sql

-- The tenants this file uses besides default (#14: a tenant exists before it is used).
DO $$ BEGIN PERFORM ledger.create_tenant(t) FROM unnest(ARRAY['other']) AS t; END $$;
CREATE FUNCTION tap.request(p_key text, p_date date) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object('idempotency_key', p_key, 'legs', tap.pair(), 'effective_date', p_date)
$$;
CREATE FUNCTION tap.journals() RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT count(*) FROM ledger_private.journal $$;

SELECT has_trigger('ledger_private', 'journal', 'journal_date_guard',
                   'Should guard journal inserts with a trigger');
SELECT trigger_is('ledger_private', 'journal', 'journal_date_guard', 'ledger_private', 'journal_date_guard',
                  'Should run ledger_private.journal_date_guard()');
SELECT lives_ok($$
    SELECT ledger.create_account('CASH', 'Cash', 'EUR'), ledger.create_account('LIAB', 'Funds', 'EUR', 'liability'),
           ledger.create_account('CASH', 'Cash', 'EUR', tenant => 'other'),
           ledger.create_account('LIAB', 'Funds', 'EUR', 'liability', tenant => 'other'),
           ledger.post_journal('old', tap.pair(), tap.d(3)),
           ledger.post_journal('keep', tap.pair(), tap.d(2))
$$, 'Should create accounts and post on d-3 and d-2');
SELECT lives_ok($$SELECT ledger.eod_close(tap.d(2))$$, 'Should close through d-2');
CREATE TEMP TABLE before_guard ON COMMIT DROP AS SELECT tap.journals() AS n;

-- Single postings --------------------------------------------------------------------------------
SELECT throws_ok($$SELECT ledger.post_journal('p-closed', tap.pair(), tap.d(2))$$, 'DX025', NULL,
                 'Should refuse a posting dated on the closed date (DX025)');
SELECT throws_ok($$SELECT ledger.post_journal('p-older', tap.pair(), tap.d(10))$$, 'DX025', NULL,
                 'Should refuse a posting dated before the closed date (DX025)');
SELECT throws_ok($$SELECT ledger.post_journal('p-inf', tap.pair(), '-infinity')$$, 'DX029', NULL,
                 'Should refuse an infinite date (DX029)');
SELECT throws_ok($$SELECT ledger.post_journal('p-inf2', tap.pair(), 'infinity')$$, 'DX029', NULL,
                 'Should refuse +infinity as a date (DX029)');
SELECT is((SELECT effective_date FROM ledger.post_journal('p-open', tap.pair(), tap.d(1))), tap.d(1),
          'Should accept the first open date');
SELECT is((SELECT status FROM ledger.post_journal('keep', tap.pair(), tap.d(2))), 'duplicate',
          'Should still answer a replay of a posting on a now closed date with duplicate');
SELECT is((SELECT effective_date FROM ledger.post_journal('o-1', tap.pair(), tap.d(2), tenant => 'other')), tap.d(2),
          'Should let another tenant post on a date this tenant closed');

-- Batches: the fast path falls back, the careful path rejects that request only ---------------------
CREATE TEMP TABLE batch ON COMMIT DROP AS
    SELECT * FROM ledger.post_journals(jsonb_build_array(tap.request('b-1', tap.d(1)), tap.request('b-2', tap.d(2)),
                                                         tap.request('b-3', tap.d(0))));
SELECT results_eq($$SELECT position, status, error_code FROM batch ORDER BY position$$,
                  $$VALUES (0, 'posted'::text, NULL::text), (1, 'rejected', 'DX025'), (2, 'posted', NULL)$$,
                  'Should reject only the batch request dated on a closed date (DX025)');
SELECT is((SELECT error_field FROM batch WHERE position = 1), 'effective_date',
          'Should name the field effective_date');
SELECT results_eq($$SELECT status FROM ledger.post_journals(jsonb_build_array(tap.request('b-4', tap.d(0))))$$,
                  $$VALUES ('posted'::text)$$, 'Should post a clean batch on an open date (fast path)');

-- Reversals --------------------------------------------------------------------------------------
SELECT is((SELECT effective_date FROM ledger.reverse_journal(
              (SELECT journal_id FROM ledger_private.journal WHERE idempotency_key = 'old'), 'rev-old')),
          ledger.business_date(), 'Should date the reversal of a closed journal on the current business date');

-- Direct inserts by the owner ------------------------------------------------------------------------
SET LOCAL ROLE doublex_owner;
SELECT throws_ok($$INSERT INTO ledger_private.journal (journal_id, idempotency_key, effective_date, created_by)
                   VALUES ('01900000-0000-7000-8000-0000000000b1', 'direct-closed', ledger.business_date() - 2,
                           'test:direct')$$,
                 'DX025', NULL, 'Should refuse a direct INSERT of a journal on a closed date (DX025)');
SELECT lives_ok($$INSERT INTO ledger_private.journal (journal_id, idempotency_key, effective_date, created_by)
                  VALUES ('01900000-0000-7000-8000-0000000000b2', 'direct-open', ledger.business_date() - 1,
                          'test:direct')$$,
                'Should accept a direct INSERT on an open date');
RESET ROLE;
SET CONSTRAINTS ALL DEFERRED;
SELECT ok(EXISTS (SELECT FROM ledger_private.journal WHERE idempotency_key = 'direct-open'),
          'Should have written the open-date journal');
-- (It has no legs: the commit-time checks would refuse it; the file rolls back first.)

-- Counts -----------------------------------------------------------------------------------------
SELECT is(tap.journals() - (SELECT n FROM before_guard), 7::bigint,
          'Should have written exactly the accepted journals');
SELECT is((SELECT count(*) FROM ledger_private.journal WHERE effective_date <= tap.d(2) AND tenant = 'default'),
          2::bigint, 'Should have nothing new on or before the closed date');

-- Closing again moves the boundary; the next open date is what postings without a date get -------------
SELECT lives_ok($$SELECT ledger.eod_close(tap.d(0))$$, 'Should close through today');
SELECT throws_ok($$SELECT ledger.post_journal('p-today', tap.pair(), tap.d(0))$$, 'DX025', NULL,
                 'Should refuse today once today is closed (DX025)');
SELECT is((SELECT effective_date FROM ledger.post_journal('p-next', tap.pair())), tap.d(-1),
          'Should date a posting without a date on the next open date');
SELECT results_eq($$SELECT status, error_code FROM ledger.post_journals(jsonb_build_array(tap.request('b-5', tap.d(0))))$$,
                  $$VALUES ('rejected'::text, 'DX025'::text)$$,
                  'Should reject a batch request dated today once today is closed');

SELECT * FROM finish();
ROLLBACK;
