-- ledger.reverse_journal: the mirror journal, idempotent replay, at most one reversal,
-- no reversal of a reversal, and the posting rules (non-negative, active accounts) applied
-- to the reversal.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(39);

-- Helpers (tap.pair, tap.jid, tap.row_counts, the snapshot table) and data -----------------
\ir helpers/fixtures.sql

-- The tenants this file uses besides default (#14: a tenant exists before it is used).
DO $$ BEGIN PERFORM ledger.create_tenant(t) FROM unnest(ARRAY['other']) AS t; END $$;

SELECT lives_ok($$
    SELECT tap.create_accounts('CASH EUR asset', 'LIAB EUR liability', 'USD-CASH USD asset',
                               'USD-LIAB USD liability', 'WALLET EUR asset non-negative', 'FRZ EUR asset')
$$, 'Should create the accounts of the tests');
SELECT lives_ok($$SELECT ledger.create_account('CASH', 'Other cash', 'EUR', tenant => 'other'),
                         ledger.create_account('LIAB', 'Other funds', 'EUR', 'liability', tenant => 'other'),
                         ledger.post_journal('o-1', tap.pair('CASH', 'LIAB', '1'), tenant => 'other')$$,
                'Should post a journal in tenant other');

-- The mirror journal ----------------------------------------------------------------------------
SELECT is((SELECT status FROM ledger.post_journal('p-1', tap.pair('CASH', 'LIAB', '100'), tap.day('2026-01-15'),
                                                  memo => 'original', ref => 'REF-9', metadata => '{"a": 1}')),
          'posted', 'Should post the journal to reverse');
SELECT results_eq($$SELECT balance FROM ledger.get_balance('CASH') UNION ALL SELECT balance FROM ledger.get_balance('LIAB')$$,
                  ARRAY[100.00, 100.00]::numeric[], 'Should give both accounts a balance of 100.00');

CREATE TEMP TABLE reversal ON COMMIT DROP AS
    SELECT * FROM ledger.reverse_journal(tap.jid('p-1'), 'rev-1', 'posted twice');
SELECT results_eq(
    $$SELECT status, effective_date, created_at FROM reversal$$,
    $$VALUES ('posted'::text, (now() AT TIME ZONE 'UTC')::date, now())$$,
    'Should post the reversal dated the current business date');
SELECT results_eq(
    $$SELECT j.kind, j.reverses, j.idempotency_key, j.memo, j.ref, j.metadata
        FROM ledger_private.journal AS j JOIN reversal AS r USING (journal_id)$$,
    $$VALUES ('reversal'::text, tap.jid('p-1'), 'rev-1'::text, 'posted twice'::text, 'REF-9'::text, '{}'::jsonb)$$,
    'Should store kind reversal, reverses = original, its own key and memo and the original ref');
SELECT results_eq(
    $$SELECT l.leg_no::integer, a.code, l.side, l.amount::text, l.ccy
        FROM ledger_private.leg AS l JOIN ledger_private.account AS a USING (account_id)
        JOIN reversal AS r USING (journal_id) ORDER BY l.leg_no$$,
    $$VALUES (1, 'CASH'::text, 'credit'::text, '100.00'::text, 'EUR'::text),
             (2, 'LIAB', 'debit', '100.00', 'EUR')$$,
    'Should mirror every leg of the original with its side swapped, in order');
SELECT results_eq(
    $$SELECT balance, debits, credits FROM ledger.get_balance('CASH')
      UNION ALL SELECT balance, debits, credits FROM ledger.get_balance('LIAB')$$,
    $$VALUES (0.00::numeric, 100.00::numeric, 100.00::numeric), (0.00, 100.00, 100.00)$$,
    'Should bring the balances back to what they were before the original');
SELECT is((SELECT reversed_by FROM ledger.get_journal(tap.jid('p-1'))), (SELECT journal_id FROM reversal),
          'Should link the original to its reversal');
SELECT is((SELECT count(*)::integer FROM ledger_private.leg WHERE journal_id = tap.jid('p-1')), 2,
          'Should leave the original journal as it was');

-- Idempotency and once only -----------------------------------------------------------------
INSERT INTO snapshot VALUES ('after reversal', tap.row_counts());
SELECT results_eq(
    $$SELECT journal_id, status, effective_date, created_at
        FROM ledger.reverse_journal(tap.jid('p-1'), 'rev-1', 'posted twice')$$,
    $$SELECT journal_id, 'duplicate'::text, effective_date, created_at FROM reversal$$,
    'Should answer a replay of the reversal with the original result and status duplicate');
SELECT throws_ok($$SELECT ledger.reverse_journal(tap.jid('p-1'), 'rev-1', 'another memo')$$, 'DX011', NULL,
                 'Should refuse the reversal key with another memo (DX011)');
SELECT throws_ok($$SELECT ledger.reverse_journal(tap.jid('p-1'), 'rev-2')$$, 'DX014', NULL,
                 'Should refuse a second reversal under another key (DX014)');
SELECT throws_ok($$SELECT ledger.reverse_journal((SELECT journal_id FROM reversal), 'rev-3')$$, 'DX022', NULL,
                 'Should refuse to reverse a reversal (DX022)');
SELECT throws_ok($$SELECT ledger.reverse_journal('00000000-0000-7000-8000-000000000000', 'rev-4')$$, 'DX013', NULL,
                 'Should raise DX013 for an unknown journal');
SELECT throws_ok($$SELECT ledger.reverse_journal(tap.jid('o-1', 'other'), 'rev-5')$$, 'DX013', NULL,
                 'Should raise DX013 for a journal of another tenant');
SELECT throws_ok($$SELECT ledger.reverse_journal(tap.jid('p-1'), NULL)$$, 'DX012', NULL,
                 'Should refuse a NULL idempotency key (DX012)');
SELECT throws_ok($$SELECT ledger.reverse_journal(tap.jid('p-1'), 'p-1')$$, 'DX011', NULL,
                 'Should refuse a key already used by a posting (DX011)');
SELECT throws_ok($$SELECT ledger.reverse_journal(tap.jid('p-1'), 'rev-6', repeat('m', 1001))$$, 'DX019', NULL,
                 'Should refuse a memo over 1000 characters (DX019)');
SELECT is(tap.row_counts(), (SELECT counts FROM snapshot WHERE label = 'after reversal'),
          'Should write nothing for a replay or a refused reversal');

SELECT is((SELECT status FROM ledger.reverse_journal(tap.jid('o-1', 'other'), 'rev-1', 'posted twice', 'other')),
          'posted', 'Should reverse in another tenant under the same key independently');
SELECT is((SELECT balance FROM ledger.get_balance('CASH', tenant => 'other')), 0.00::numeric,
          'Should bring the other tenant''s balance back to zero');

-- Multi-currency journal ---------------------------------------------------------------------
SELECT is((SELECT status
             FROM ledger.post_journal('fx-1', tap.legs('CASH debit 10.00 EUR', 'USD-LIAB credit 11.00 USD',
                                                       'LIAB credit 10.00 EUR', 'USD-CASH debit 11.00 USD'))),
          'posted', 'Should post a journal in two currencies');
CREATE TEMP TABLE fx_reversal ON COMMIT DROP AS SELECT * FROM ledger.reverse_journal(tap.jid('fx-1'), 'rev-fx');
SELECT is((SELECT legs FROM ledger.get_journal((SELECT journal_id FROM fx_reversal))),
          '[{"leg_no": 1, "account": "CASH",     "side": "credit", "amount": "10.00", "ccy": "EUR"},
            {"leg_no": 2, "account": "USD-LIAB", "side": "debit",  "amount": "11.00", "ccy": "USD"},
            {"leg_no": 3, "account": "LIAB",     "side": "debit",  "amount": "10.00", "ccy": "EUR"},
            {"leg_no": 4, "account": "USD-CASH", "side": "credit", "amount": "11.00", "ccy": "USD"}]'::jsonb,
          'Should mirror all four legs of a two-currency journal');
SELECT results_eq(
    $$SELECT b.balance FROM unnest(ARRAY['CASH', 'LIAB', 'USD-CASH', 'USD-LIAB']) AS c (code)
       CROSS JOIN LATERAL ledger.get_balance(c.code) AS b$$,
    ARRAY[0.00, 0.00, 0.00, 0.00]::numeric[],
    'Should bring every balance in both currencies back to zero');

-- Posting rules apply to the reversal ------------------------------------------------------------
SELECT lives_ok($$SELECT ledger.post_journal('w-1', tap.pair('WALLET', 'LIAB', '50'))$$,
                'Should fund the non-negative account with 50.00');
SELECT lives_ok($$SELECT ledger.post_journal('w-2', tap.pair('CASH', 'WALLET', '50'))$$,
                'Should spend the 50.00 again');
INSERT INTO snapshot VALUES ('before DX010', tap.row_counts());
SELECT throws_ok($$SELECT ledger.reverse_journal(tap.jid('w-1'), 'rev-w-1')$$, 'DX010', NULL,
                 'Should refuse a reversal that takes a non-negative account below zero (DX010)');
SELECT is(tap.row_counts(), (SELECT counts FROM snapshot WHERE label = 'before DX010'),
          'Should write nothing for the refused reversal');
SELECT is((SELECT reversed_by FROM ledger.get_journal(tap.jid('w-1'))), NULL,
          'Should leave the original unreversed');
SELECT is((SELECT status FROM ledger.reverse_journal(tap.jid('w-2'), 'rev-w-2')), 'posted',
          'Should reverse the spending first');
SELECT is((SELECT status FROM ledger.reverse_journal(tap.jid('w-1'), 'rev-w-1')), 'posted',
          'Should then reverse the funding under the key that was refused before');
SELECT is((SELECT balance FROM ledger.get_balance('WALLET')), 0.00::numeric,
          'Should leave the non-negative account at zero');

SELECT lives_ok($$SELECT ledger.post_journal('f-1', tap.pair('FRZ', 'LIAB', '10'))$$,
                'Should post to an account that is frozen afterwards');
SELECT is((SELECT status FROM ledger.set_account_status('FRZ', 'frozen')), 'frozen', 'Should freeze it');
SELECT throws_ok($$SELECT ledger.reverse_journal(tap.jid('f-1'), 'rev-f-1')$$, 'DX007', NULL,
                 'Should refuse a reversal to a frozen account (DX007)');
SELECT is((SELECT status FROM ledger.set_account_status('FRZ', 'active')), 'active', 'Should unfreeze it');
SELECT is((SELECT status FROM ledger.reverse_journal(tap.jid('f-1'), 'rev-f-1')), 'posted',
          'Should reverse once the account is active again');
SELECT is((SELECT balance FROM ledger.get_balance('FRZ')), 0.00::numeric,
          'Should bring the unfrozen account back to zero');

SELECT * FROM finish();
ROLLBACK;
