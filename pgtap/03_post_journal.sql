-- ledger.post_journal: happy paths, amounts at the currency's scale, multi-currency
-- journals, every validation error by SQLSTATE (with nothing written), the non-negative
-- policy, idempotency and tenant isolation.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(91);

-- Helpers (tap.pair, tap.row_counts, the snapshot table; dropped with the transaction).
\ir helpers/fixtures.sql

-- The tenants this file uses besides default (#14: a tenant exists before it is used).
DO $$ BEGIN PERFORM ledger.create_tenant(t) FROM unnest(ARRAY['acme']) AS t; END $$;

SELECT lives_ok($$
    SELECT ledger.create_account(a.code, a.code, a.ccy, a.type, a.allow_negative)
      FROM (VALUES ('CASH', 'EUR', 'asset', true), ('LIAB', 'EUR', 'liability', true),
                   ('USD-CASH', 'USD', 'asset', true), ('USD-LIAB', 'USD', 'liability', true),
                   ('JPY-A', 'JPY', 'asset', true), ('JPY-B', 'JPY', 'liability', true),
                   ('BHD-A', 'BHD', 'asset', true), ('BHD-B', 'BHD', 'liability', true),
                   ('WALLET', 'EUR', 'asset', false), ('FROZEN', 'EUR', 'asset', true),
                   ('CLOSED', 'EUR', 'asset', true), ('LATER-FROZEN', 'EUR', 'asset', true))
           AS a (code, ccy, type, allow_negative)
$$, 'Should create the accounts of the tests');
SELECT lives_ok($$
    SELECT ledger.set_account_status('FROZEN', 'frozen'), ledger.set_account_status('CLOSED', 'closed')
$$, 'Should freeze one account and close another');
SELECT lives_ok($$
    SELECT ledger.create_account('CASH', 'Acme cash', 'EUR', tenant => 'acme'),
           ledger.create_account('LIAB', 'Acme funds', 'EUR', 'liability', tenant => 'acme')
$$, 'Should create accounts in tenant acme');

-- Happy path ------------------------------------------------------------------------------
CREATE TEMP TABLE first_post ON COMMIT DROP AS
    SELECT * FROM ledger.post_journal('h-1', tap.pair('CASH', 'LIAB', '100', 'EUR'),
                                      memo => 'first', ref => 'REF-1', metadata => '{"k": 1}');

SELECT is((SELECT status FROM first_post), 'posted', 'Should answer status posted');
SELECT is((SELECT effective_date FROM first_post), (now() AT TIME ZONE 'UTC')::date,
          'Should default effective_date to the current UTC date');
SELECT is((SELECT created_at FROM first_post), now(), 'Should return created_at');
SELECT results_eq(
    $$SELECT j.tenant, j.idempotency_key, j.kind, j.effective_date, j.memo, j.ref, j.metadata, j.reverses
        FROM ledger_private.journal AS j JOIN first_post AS r USING (journal_id)$$,
    $$VALUES ('default'::text, 'h-1'::text, 'transfer'::text, (now() AT TIME ZONE 'UTC')::date,
              'first'::text, 'REF-1'::text, '{"k": 1}'::jsonb, NULL::uuid)$$,
    'Should store the journal with its key, kind, date, memo, ref and metadata');
SELECT results_eq(
    $$SELECT l.leg_no::integer, a.code, l.side, l.amount::text, l.ccy, l.tenant, l.effective_date
        FROM ledger_private.leg AS l
        JOIN ledger_private.account AS a USING (account_id)
        JOIN first_post AS r USING (journal_id)
       ORDER BY l.leg_no$$,
    $$VALUES (1, 'CASH'::text, 'debit'::text, '100.00'::text, 'EUR'::text, 'default'::text,
              (now() AT TIME ZONE 'UTC')::date),
             (2, 'LIAB', 'credit', '100.00', 'EUR', 'default', (now() AT TIME ZONE 'UTC')::date)$$,
    'Should store the legs in order with "100" EUR at the currency scale (100.00)');
SELECT is((SELECT substr(journal_id::text, 15, 1) FROM first_post), '7',
          'Should give the journal a time-ordered UUID (version 7)');
SELECT results_eq(
    $$SELECT s.tenant, s.idempotency_key, s.operation
        FROM ledger_private.idempotency_sentinel AS s JOIN first_post AS r USING (journal_id)$$,
    $$VALUES ('default'::text, 'h-1'::text, 'post_journal'::text)$$,
    'Should store one idempotency sentinel for the key');

SELECT results_eq(
    $$SELECT status, effective_date
        FROM ledger.post_journal('h-2', tap.pair('CASH', 'LIAB', '12.5', 'EUR'), tap.day('2026-01-15'))$$,
    $$VALUES ('posted'::text, tap.day('2026-01-15'))$$,
    'Should keep an explicit effective_date');
SELECT results_eq(
    $$SELECT l.amount::text, l.effective_date FROM ledger_private.leg AS l
        JOIN ledger_private.journal AS j USING (journal_id)
       WHERE j.idempotency_key = 'h-2' ORDER BY l.leg_no$$,
    $$VALUES ('12.50'::text, tap.day('2026-01-15')), ('12.50', tap.day('2026-01-15'))$$,
    'Should store "12.5" EUR as 12.50 and copy the effective date to the legs');

SELECT is((SELECT status
             FROM ledger.post_journal('h-fx', tap.legs('CASH debit 10.00 EUR', 'USD-LIAB credit 11.00 USD',
                                                       'LIAB credit 10.00 EUR', 'USD-CASH debit 11.00 USD'))),
          'posted', 'Should post a journal balanced per currency (EUR pair and USD pair)');
SELECT results_eq(
    $$SELECT l.ccy, sum(l.amount) FILTER (WHERE l.side = 'debit'), sum(l.amount) FILTER (WHERE l.side = 'credit')
        FROM ledger_private.leg AS l JOIN ledger_private.journal AS j USING (journal_id)
       WHERE j.idempotency_key = 'h-fx' GROUP BY l.ccy ORDER BY l.ccy$$,
    $$VALUES ('EUR'::text, 10.00::numeric, 10.00::numeric), ('USD', 11.00, 11.00)$$,
    'Should store all four legs of the multi-currency journal');

SELECT is((SELECT status FROM ledger.post_journal('h-jpy', tap.pair('JPY-A', 'JPY-B', '1500', 'JPY'))),
          'posted', 'Should post whole yen');
SELECT is((SELECT status FROM ledger.post_journal('h-bhd', tap.pair('BHD-A', 'BHD-B', '1.001', 'BHD'))),
          'posted', 'Should post "1.001" BHD (three decimals)');
SELECT results_eq(
    $$SELECT j.idempotency_key, l.amount::text FROM ledger_private.leg AS l
        JOIN ledger_private.journal AS j USING (journal_id)
       WHERE j.idempotency_key IN ('h-jpy', 'h-bhd') AND l.leg_no = 1 ORDER BY 1$$,
    $$VALUES ('h-bhd'::text, '1.001'::text), ('h-jpy', '1500')$$,
    'Should store JPY without decimals and BHD with three');
SELECT is((SELECT status FROM ledger.post_journal(repeat('k', 255), tap.pair('CASH', 'LIAB', '1', 'EUR'))),
          'posted', 'Should accept a 255-character idempotency key');
SELECT is((SELECT status FROM ledger.post_journal('h-memo', tap.pair('CASH', 'LIAB', '1', 'EUR'),
                                                  memo => repeat('m', 1000), ref => repeat('r', 200))),
          'posted', 'Should accept a 1000-character memo and a 200-character ref');

-- Validation errors: each by SQLSTATE, nothing written ----------------------------------------
INSERT INTO snapshot VALUES ('before errors', tap.row_counts());

-- Each set of legs refused with its SQLSTATE (the key is 'e' throughout).
SELECT throws_ok(format($$SELECT ledger.post_journal('e', %L)$$, t.legs), t.code, NULL, t.description)
  FROM (VALUES
    ('{"account": "CASH"}'::jsonb, 'DX001', 'Should refuse legs that are an object, not an array (DX001)'),
    ('"legs"', 'DX001', 'Should refuse legs that are a string (DX001)'),
    (NULL, 'DX001', 'Should refuse NULL legs (DX001)'),
    ('[1, 2]', 'DX001', 'Should refuse a leg that is not an object (DX001)'),
    ('[{"account": "CASH", "side": "debit",  "amount": "1", "ccy": "EUR", "note": "x"},
       {"account": "LIAB", "side": "credit", "amount": "1", "ccy": "EUR"}]',
     'DX001', 'Should refuse a leg with an unknown field (DX001)'),
    ('[{"side": "debit",  "amount": "1", "ccy": "EUR"},
       {"account": "LIAB", "side": "credit", "amount": "1", "ccy": "EUR"}]',
     'DX001', 'Should refuse a leg without an account (DX001)'),
    (tap.pair('', 'LIAB', '1', 'EUR'), 'DX001', 'Should refuse a leg with an empty account (DX001)'),
    ('[{"account": 1001, "side": "debit",  "amount": "1", "ccy": "EUR"},
       {"account": "LIAB", "side": "credit", "amount": "1", "ccy": "EUR"}]',
     'DX001', 'Should refuse a numeric account (DX001)'),
    (tap.legs('CASH left 1 EUR', 'LIAB credit 1 EUR'),
     'DX001', 'Should refuse an unknown side (DX001)'),
    ('[{"account": "CASH", "amount": "1", "ccy": "EUR"},
       {"account": "LIAB", "side": "credit", "amount": "1", "ccy": "EUR"}]',
     'DX001', 'Should refuse a leg without a side (DX001)'),

    (tap.legs('CASH debit 1 EUR'),
     'DX002', 'Should refuse a journal with one leg (DX002)'),
    ('[]', 'DX002', 'Should refuse a journal with no legs (DX002)'),
    ((SELECT jsonb_agg(jsonb_build_object('account', 'CASH', 'side', 'debit', 'amount', '1', 'ccy', 'EUR'))
        FROM generate_series(1, 501)),
     'DX002', 'Should refuse a journal with 501 legs (DX002)'),

    (tap.pair('CASH', 'LIAB', '0', 'EUR'), 'DX003', 'Should refuse amount "0" (DX003)'),
    (tap.pair('CASH', 'LIAB', '0.00', 'EUR'), 'DX003', 'Should refuse amount "0.00" (DX003)'),
    (tap.pair('CASH', 'LIAB', '-5', 'EUR'), 'DX003', 'Should refuse amount "-5" (DX003)'),
    (tap.pair('CASH', 'LIAB', 'abc', 'EUR'), 'DX003', 'Should refuse amount "abc" (DX003)'),
    (tap.pair('CASH', 'LIAB', '', 'EUR'), 'DX003', 'Should refuse an empty amount (DX003)'),
    (tap.pair('CASH', 'LIAB', '1e3', 'EUR'), 'DX003', 'Should refuse an amount in exponent notation (DX003)'),
    ('[{"account": "CASH", "side": "debit",  "amount": 100, "ccy": "EUR"},
       {"account": "LIAB", "side": "credit", "amount": 100, "ccy": "EUR"}]',
     'DX003', 'Should refuse a numeric JSON amount, not a string (DX003)'),
    ('[{"account": "CASH", "side": "debit", "ccy": "EUR"},
       {"account": "LIAB", "side": "credit", "amount": "1", "ccy": "EUR"}]',
     'DX003', 'Should refuse a leg without an amount (DX003)'),

    (tap.pair('CASH', 'LIAB', '1.001', 'EUR'), 'DX004', 'Should refuse "1.001" EUR (DX004)'),
    (tap.pair('CASH', 'LIAB', '1.000', 'EUR'),
     'DX004', 'Should refuse "1.000" EUR: more decimals than EUR has, even zeros (DX004)'),
    (tap.pair('JPY-A', 'JPY-B', '1.5', 'JPY'), 'DX004', 'Should refuse "1.5" JPY (DX004)'),
    (tap.pair('BHD-A', 'BHD-B', '1.0001', 'BHD'), 'DX004', 'Should refuse "1.0001" BHD (DX004)'),

    -- XXX is ISO 4217's code for "no currency": never in ledger_private.currency.
    (tap.pair('CASH', 'LIAB', '1', 'XXX'), 'DX005', 'Should refuse currency "XXX" (DX005)'),
    (tap.pair('CASH', 'LIAB', '1', 'eur'), 'DX005', 'Should refuse currency "eur" (DX005)'),
    ('[{"account": "CASH", "side": "debit", "amount": "1"},
       {"account": "LIAB", "side": "credit", "amount": "1", "ccy": "EUR"}]',
     'DX005', 'Should refuse a leg without a currency (DX005)'),

    (tap.pair('CASH', 'NO-SUCH', '1', 'EUR'), 'DX006', 'Should refuse an unknown account (DX006)'),

    (tap.pair('FROZEN', 'LIAB', '1', 'EUR'), 'DX007', 'Should refuse a leg on a frozen account (DX007)'),
    (tap.pair('CASH', 'CLOSED', '1', 'EUR'), 'DX007', 'Should refuse a leg on a closed account (DX007)'),

    (tap.pair('CASH', 'LIAB', '1', 'USD'), 'DX008', 'Should refuse a USD leg on a EUR account (DX008)'),

    (tap.legs('CASH debit 10.00 EUR', 'LIAB credit 9.99 EUR'),
     'DX009', 'Should refuse an unbalanced journal (DX009)'),
    (tap.legs('CASH debit 10.00 EUR', 'LIAB debit 10.00 EUR'),
     'DX009', 'Should refuse a journal of debits only (DX009)'),
    (tap.legs('CASH debit 10.00 EUR', 'LIAB credit 10.00 EUR',
              'USD-CASH debit 11.00 USD', 'USD-LIAB credit 10.99 USD'),
     'DX009', 'Should refuse a journal unbalanced in one of two currencies (DX009)'),
    (tap.legs('CASH debit 10.00 EUR', 'USD-LIAB credit 10.00 USD'),
     'DX009', 'Should refuse equal amounts in different currencies (DX009)')
       ) AS t (legs, code, description);

-- Each idempotency key refused (DX012), with legs that are fine.
SELECT throws_ok(format($$SELECT ledger.post_journal(%L, tap.pair('CASH', 'LIAB', '1', 'EUR'))$$, t.key),
                 'DX012', NULL, t.description)
  FROM (VALUES
    ('', 'Should refuse an empty idempotency key (DX012)'),
    (repeat('k', 256), 'Should refuse a 256-character idempotency key (DX012)'),
    (NULL, 'Should refuse a NULL idempotency key (DX012)'),
    (E'tab\tkey', 'Should refuse an idempotency key with a control character (DX012)')
       ) AS t (key, description);

-- Each optional argument refused (DX019), with legs that are fine.
SELECT throws_ok(format($$SELECT ledger.post_journal('e', tap.pair('CASH', 'LIAB', '1', 'EUR'), %s)$$, t.argument),
                 'DX019', NULL, t.description)
  FROM (VALUES
    ($$memo => repeat('m', 1001)$$, 'Should refuse a memo over 1000 characters (DX019)'),
    ($$ref => repeat('r', 201)$$, 'Should refuse a ref over 200 characters (DX019)'),
    ($$metadata => '[1, 2]'$$, 'Should refuse array metadata (DX019)'),
    ($$metadata => jsonb_build_object('big', repeat('x', 17000))$$, 'Should refuse metadata over 16 KiB (DX019)'),
    ($$tenant => 'no such/tenant'$$, 'Should refuse a malformed tenant (DX019)')
       ) AS t (argument, description);

SELECT is(tap.row_counts(), (SELECT counts FROM snapshot WHERE label = 'before errors'),
          'Should write no journal, leg or sentinel for any refused posting');

-- Non-negative policy -----------------------------------------------------------------------
SELECT throws_ok($$SELECT ledger.post_journal('nn-1', tap.pair('CASH', 'WALLET', '0.01', 'EUR'))$$,
                 'DX010', NULL, 'Should refuse to take a non-negative account below zero (DX010)');
SELECT is((SELECT status FROM ledger.post_journal('nn-2', tap.pair('WALLET', 'LIAB', '50.00', 'EUR'))),
          'posted', 'Should fund the non-negative account with 50.00');
SELECT throws_ok($$SELECT ledger.post_journal('nn-3', tap.pair('CASH', 'WALLET', '50.01', 'EUR'))$$,
                 'DX010', NULL, 'Should refuse to take it 0.01 below zero (DX010)');
SELECT is((SELECT status FROM ledger.post_journal('nn-4', tap.pair('CASH', 'WALLET', '50.00', 'EUR'))),
          'posted', 'Should allow taking a non-negative account exactly to zero');
SELECT is((SELECT balance FROM ledger.get_balance('WALLET')), 0.00::numeric,
          'Should leave the non-negative account at zero');
SELECT throws_ok($$SELECT ledger.post_journal('nn-5', tap.pair('CASH', 'WALLET', '0.01', 'EUR'))$$,
                 'DX010', NULL, 'Should refuse any further debit of the empty account (DX010)');
SELECT is((SELECT count(*)::integer FROM ledger_private.journal WHERE idempotency_key LIKE 'nn-%'), 2,
          'Should have written only the two accepted postings of the policy tests');

-- Idempotency -----------------------------------------------------------------------------
INSERT INTO snapshot VALUES ('before replay', tap.row_counts());
CREATE TEMP TABLE replayed ON COMMIT DROP AS
    SELECT * FROM ledger.post_journal('h-1', tap.pair('CASH', 'LIAB', '100', 'EUR'),
                                      memo => 'first', ref => 'REF-1', metadata => '{"k": 1}');
SELECT is((SELECT status FROM replayed), 'duplicate', 'Should answer a replay with status duplicate');
SELECT results_eq(
    $$SELECT journal_id, effective_date, created_at FROM replayed$$,
    $$SELECT journal_id, effective_date, created_at FROM first_post$$,
    'Should answer a replay with the original journal_id, effective_date and created_at');
SELECT is(tap.row_counts(), (SELECT counts FROM snapshot WHERE label = 'before replay'),
          'Should write nothing for a replay');

SELECT is((SELECT status FROM ledger.post_journal('h-2', tap.pair('CASH', 'LIAB', '12.5', 'EUR'), tap.day('2026-01-15'),
                                                  metadata => NULL)),
          'duplicate', 'Should treat NULL metadata like {} in the fingerprint');

SELECT throws_ok($$SELECT ledger.post_journal('h-1', tap.pair('CASH', 'LIAB', '101', 'EUR'),
                                              memo => 'first', ref => 'REF-1', metadata => '{"k": 1}')$$,
                 'DX011', NULL, 'Should refuse the same key with another amount (DX011)');
SELECT throws_ok($$SELECT ledger.post_journal('h-1', tap.pair('CASH', 'LIAB', '100', 'EUR'),
                                              memo => 'second', ref => 'REF-1', metadata => '{"k": 1}')$$,
                 'DX011', NULL, 'Should refuse the same key with another memo (DX011)');
SELECT throws_ok($$SELECT ledger.post_journal('h-1', tap.pair('CASH', 'LIAB', '100', 'EUR'),
                                              memo => 'first', ref => 'REF-1', metadata => '{"k": 2}')$$,
                 'DX011', NULL, 'Should refuse the same key with other metadata (DX011)');
SELECT throws_ok($$SELECT ledger.post_journal('h-1', tap.pair('CASH', 'LIAB', '100', 'EUR'), tap.day('2026-01-01'),
                                              memo => 'first', ref => 'REF-1', metadata => '{"k": 1}')$$,
                 'DX011', NULL, 'Should refuse the same key with another effective date (DX011)');
SELECT throws_ok($$SELECT ledger.post_journal('h-1', tap.pair('LIAB', 'CASH', '100', 'EUR'),
                                              memo => 'first', ref => 'REF-1', metadata => '{"k": 1}')$$,
                 'DX011', NULL, 'Should refuse the same key with the sides swapped (DX011)');
SELECT is(tap.row_counts(), (SELECT counts FROM snapshot WHERE label = 'before replay'),
          'Should write nothing for a conflicting reuse of a key');
SELECT is((SELECT balance FROM ledger.get_balance('CASH')),
          (SELECT sum(CASE l.side WHEN 'debit' THEN l.amount ELSE -l.amount END)
             FROM ledger_private.leg AS l JOIN ledger_private.account AS a USING (account_id)
            WHERE a.tenant = 'default' AND a.code = 'CASH'),
          'Should keep the balance equal to the sum of the legs after replays and conflicts');

SELECT is((SELECT status FROM ledger.post_journal('frz-1', tap.pair('LATER-FROZEN', 'LIAB', '5', 'EUR'))),
          'posted', 'Should post to an account that is frozen afterwards');
SELECT is((SELECT status FROM ledger.set_account_status('LATER-FROZEN', 'frozen')), 'frozen',
          'Should freeze that account');
SELECT is((SELECT status FROM ledger.post_journal('frz-1', tap.pair('LATER-FROZEN', 'LIAB', '5', 'EUR'))),
          'duplicate', 'Should answer a replay from the sentinel even after the account was frozen');

-- Tenants ---------------------------------------------------------------------------------
CREATE TEMP TABLE acme_post ON COMMIT DROP AS
    SELECT * FROM ledger.post_journal('h-1', tap.pair('CASH', 'LIAB', '7', 'EUR'), tenant => 'acme');
SELECT is((SELECT status FROM acme_post), 'posted',
          'Should post the same key in another tenant independently');
SELECT isnt((SELECT journal_id FROM acme_post), (SELECT journal_id FROM first_post),
            'Should give the other tenant''s posting its own journal');
SELECT results_eq(
    $$SELECT j.tenant, l.tenant, a.tenant, a.code
        FROM ledger_private.leg AS l
        JOIN ledger_private.journal AS j USING (journal_id)
        JOIN ledger_private.account AS a USING (account_id)
       WHERE l.journal_id = (SELECT journal_id FROM acme_post) ORDER BY l.leg_no$$,
    $$VALUES ('acme'::text, 'acme'::text, 'acme'::text, 'CASH'::text), ('acme', 'acme', 'acme', 'LIAB')$$,
    'Should post the other tenant''s journal to its own accounts');
SELECT is((SELECT balance FROM ledger.get_balance('CASH', tenant => 'acme')), 7.00::numeric,
          'Should keep the other tenant''s balance separate');
SELECT throws_ok($$SELECT ledger.post_journal('x-1', tap.pair('CASH', 'WALLET', '1', 'EUR'), tenant => 'acme')$$,
                 'DX006', NULL, 'Should not let tenant acme post to an account of tenant default (DX006)');
SELECT * FROM finish();
ROLLBACK;
