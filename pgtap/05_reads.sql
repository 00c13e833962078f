-- The read API: ledger.get_balance, ledger.get_journal and ledger.list_journals (filters
-- and keyset pagination), plus roll_up_balances refusing to run at SERIALIZABLE.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(63);

-- Helpers (tap.pair, tap.jid) and data -------------------------------------------------------
\ir helpers/fixtures.sql

-- The tenants this file uses besides default (#14: a tenant exists before it is used).
DO $$ BEGIN PERFORM ledger.create_tenant(t) FROM unnest(ARRAY['other']) AS t; END $$;

SELECT lives_ok($$
    SELECT ledger.create_account(a.code, a.code, 'EUR', a.type)
      FROM (VALUES ('CASH', 'asset'), ('LOAN', 'liability'), ('SALES', 'income'),
                   ('RENT', 'expense'), ('CAPITAL', 'equity'), ('SUSPENSE', 'asset'))
           AS a (code, type)
$$, 'Should create asset, liability, income, expense and equity accounts');
SELECT lives_ok($$
    SELECT ledger.create_account('CASH', 'Other cash', 'EUR', tenant => 'other'),
           ledger.create_account('CAPITAL', 'Other capital', 'EUR', 'equity', tenant => 'other')
$$, 'Should create accounts in tenant other');

SELECT lives_ok($$
    SELECT ledger.post_journal(p.key, tap.pair(p.debit, p.credit, p.amount), p.date::date, memo => p.memo)
      FROM (VALUES ('j1', 'CASH', 'CAPITAL', '1000', tap.day('2026-01-10'), 'capital'),
                   ('j2', 'CASH', 'LOAN', '500', tap.day('2026-01-20'), 'loan'),
                   ('j3', 'CASH', 'SALES', '250.75', tap.day('2026-02-05'), 'sale 1'),
                   ('j3b', 'CASH', 'SALES', '10', tap.day('2026-02-05'), 'sale 2'),
                   ('j3c', 'CASH', 'SALES', '20', tap.day('2026-02-05'), 'sale 3'),
                   ('j4', 'RENT', 'CASH', '300', tap.day('2026-02-10'), 'rent'),
                   ('j5', 'LOAN', 'CASH', '100', tap.day('2026-03-01'), 'repayment'))
           AS p (key, debit, credit, amount, date, memo)
     ORDER BY p.key
$$, 'Should post seven journals over three months');
SELECT lives_ok($$
    SELECT ledger.post_journal('j1', tap.pair('CASH', 'CAPITAL', '5'), tap.day('2026-01-01'), tenant => 'other')
$$, 'Should post a journal in tenant other');

-- get_balance -------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT account, ccy, balance, debits, credits, as_of, snapshot_source FROM ledger.get_balance('CASH')$$,
    $$VALUES ('CASH'::text, 'EUR'::text, 1380.75::numeric, 1780.75::numeric, 400.00::numeric, NULL::date, 'live'::text)$$,
    'Should report an asset''s balance as debits minus credits, with both totals');
SELECT results_eq(
    $$SELECT balance, debits, credits FROM ledger.get_balance('LOAN')$$,
    $$VALUES (400.00::numeric, 100.00::numeric, 500.00::numeric)$$,
    'Should report a liability''s balance on its credit side (+400.00)');
SELECT results_eq(
    $$SELECT balance, debits, credits FROM ledger.get_balance('SALES')$$,
    $$VALUES (280.75::numeric, 0.00::numeric, 280.75::numeric)$$,
    'Should report an income account credited 280.75 as +280.75');
SELECT is((SELECT balance FROM ledger.get_balance('RENT')), 300.00::numeric,
          'Should report an expense account debited 300 as +300.00');
SELECT is((SELECT balance FROM ledger.get_balance('CAPITAL')), 1000.00::numeric,
          'Should report an equity account credited 1000 as +1000.00');
SELECT lives_ok($$SELECT ledger.post_journal('j6', tap.pair('CASH', 'SUSPENSE', '20'), tap.day('2026-03-02'))$$,
                'Should post a credit to an asset account without a balance');
SELECT is((SELECT balance FROM ledger.get_balance('SUSPENSE')), -20.00::numeric,
          'Should report an overdrawn asset as a negative balance');
SELECT is((SELECT balance::text FROM ledger.get_balance('SUSPENSE')), '-20.00',
          'Should report the balance at the currency''s scale');
SELECT results_eq(
    $$SELECT balance::text, debits::text, credits::text FROM ledger.get_balance('CASH', tenant => 'other')$$,
    $$VALUES ('5.00'::text, '5.00'::text, '0.00'::text)$$,
    'Should report the other tenant''s same-code account separately');
SELECT is(
    (SELECT sum(b.debits - b.credits)
       FROM ledger_private.account AS a CROSS JOIN LATERAL ledger.get_balance(a.code) AS b
      WHERE a.tenant = 'default'),
    0.00::numeric, 'Should have debits equal credits over every account of the tenant');

SELECT results_eq(
    $$SELECT balance, debits, credits, as_of FROM ledger.get_balance('CASH', tap.day('2026-01-31'))$$,
    $$VALUES (1500.00::numeric, 1500.00::numeric, 0.00::numeric, tap.day('2026-01-31'))$$,
    'Should count only legs effective on or before as_of');
SELECT is((SELECT balance FROM ledger.get_balance('CASH', tap.day('2026-02-05'))), 1780.75::numeric,
          'Should include legs effective exactly on as_of');
SELECT results_eq(
    $$SELECT balance, debits, credits FROM ledger.get_balance('CASH', tap.day('2026-01-09'))$$,
    $$VALUES (0.00::numeric, 0.00::numeric, 0.00::numeric)$$,
    'Should report zero before the first posting');
SELECT is((SELECT balance FROM ledger.get_balance('LOAN', tap.day('2026-02-28'))), 500.00::numeric,
          'Should exclude the later repayment from the liability as of February');
SELECT throws_ok($$SELECT ledger.get_balance('NO-SUCH')$$, 'DX020', NULL,
                 'Should raise DX020 for an unknown account');
SELECT throws_ok($$SELECT ledger.get_balance('LOAN', tenant => 'other')$$, 'DX020', NULL,
                 'Should raise DX020 for an account of another tenant');

-- get_journal -------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT journal_id, idempotency_key, kind, effective_date, created_at, memo, ref, metadata,
             reverses, reversed_by, cursor
        FROM ledger.get_journal(tap.jid('j3'))$$,
    $$VALUES (tap.jid('j3'), 'j3'::text, 'transfer'::text, tap.day('2026-02-05'), now(), 'sale 1'::text,
              NULL::text, '{}'::jsonb, NULL::uuid, NULL::uuid, tap.dates('2026-02-05_') || tap.jid('j3'))$$,
    'Should return the journal''s fields and its cursor');
SELECT is((SELECT legs FROM ledger.get_journal(tap.jid('j3'))),
          '[{"leg_no": 1, "account": "CASH",  "side": "debit",  "amount": "250.75", "ccy": "EUR"},
            {"leg_no": 2, "account": "SALES", "side": "credit", "amount": "250.75", "ccy": "EUR"}]'::jsonb,
          'Should return the legs in order with codes, sides and amounts');
SELECT is((SELECT legs FROM ledger.get_journal(tap.jid('j4'))),
          '[{"leg_no": 1, "account": "RENT", "side": "debit",  "amount": "300.00", "ccy": "EUR"},
            {"leg_no": 2, "account": "CASH", "side": "credit", "amount": "300.00", "ccy": "EUR"}]'::jsonb,
          'Should return "300" as the string "300.00"');
SELECT is((SELECT array_agg(DISTINCT jsonb_typeof(l -> 'amount'))
             FROM ledger.get_journal(tap.jid('j1')) AS g, jsonb_array_elements(g.legs) AS l),
          ARRAY['string'], 'Should return amounts as JSON strings');
SELECT throws_ok($$SELECT ledger.get_journal('00000000-0000-7000-8000-000000000000')$$, 'DX013', NULL,
                 'Should raise DX013 for an unknown journal');
SELECT throws_ok($$SELECT ledger.get_journal(tap.jid('j1'), 'other')$$, 'DX013', NULL,
                 'Should raise DX013 for a journal of another tenant');

-- list_journals -----------------------------------------------------------------------------
CREATE TEMP TABLE expected ON COMMIT DROP AS
    SELECT j.journal_id, j.idempotency_key, j.effective_date,
           row_number() OVER (ORDER BY j.effective_date, j.journal_id) AS n
      FROM ledger_private.journal AS j WHERE j.tenant = 'default';

SELECT results_eq(
    $$SELECT journal_id FROM ledger.list_journals()$$,
    $$SELECT journal_id FROM expected ORDER BY n$$,
    'Should list the tenant''s journals ordered by (effective_date, journal_id)');
SELECT results_eq(
    $$SELECT idempotency_key FROM ledger.list_journals() WHERE idempotency_key NOT LIKE 'j3%'$$,
    ARRAY['j1', 'j2', 'j4', 'j5', 'j6'], 'Should order journals of different dates by date');
SELECT results_eq(
    $$SELECT journal_id FROM ledger.list_journals() WHERE effective_date = tap.day('2026-02-05')$$,
    $$SELECT journal_id FROM expected WHERE effective_date = tap.day('2026-02-05') ORDER BY journal_id$$,
    'Should order journals of one date by journal_id');
SELECT results_eq(
    $$SELECT idempotency_key, legs -> 0 ->> 'amount', cursor FROM ledger.list_journals(to_date => tap.day('2026-01-10'))$$,
    $$VALUES ('j1'::text, '1000.00'::text, tap.dates('2026-01-10_') || tap.jid('j1'))$$,
    'Should return the legs and the cursor with each journal');
SELECT results_eq(
    $$SELECT idempotency_key FROM ledger.list_journals(tap.day('2026-01-20'), tap.day('2026-02-10')) ORDER BY 1$$,
    ARRAY['j2', 'j3', 'j3b', 'j3c', 'j4'], 'Should filter by from_date and to_date, both inclusive');
SELECT results_eq(
    $$SELECT idempotency_key FROM ledger.list_journals(from_date => tap.day('2026-02-10'))$$,
    ARRAY['j4', 'j5', 'j6'], 'Should filter by from_date alone');
SELECT results_eq(
    $$SELECT idempotency_key FROM ledger.list_journals(to_date => tap.day('2026-01-20'))$$,
    ARRAY['j1', 'j2'], 'Should filter by to_date alone');
SELECT is_empty($$SELECT * FROM ledger.list_journals(tap.day('2026-02-11'), tap.day('2026-02-28'))$$,
                'Should return nothing for a range without journals');
SELECT results_eq(
    $$SELECT idempotency_key FROM ledger.list_journals(account => 'LOAN')$$,
    ARRAY['j2', 'j5'], 'Should filter by account');
SELECT results_eq(
    $$SELECT idempotency_key FROM ledger.list_journals(account => 'SALES') WHERE idempotency_key <> 'j3'$$,
    $$SELECT idempotency_key FROM expected WHERE idempotency_key IN ('j3b', 'j3c') ORDER BY n$$,
    'Should order an account''s journals by (effective_date, journal_id) too');
SELECT results_eq(
    $$SELECT idempotency_key FROM ledger.list_journals(tap.day('2026-02-01'), NULL, 'CASH') WHERE idempotency_key NOT LIKE 'j3%'$$,
    ARRAY['j4', 'j5', 'j6'], 'Should combine the account and date filters');
SELECT results_eq(
    $$SELECT idempotency_key FROM ledger.list_journals(tenant => 'other')$$,
    ARRAY['j1'], 'Should list only the journals of the given tenant');

-- Keyset pagination over three pages (8 journals, 3 a page); WITH ORDINALITY keeps each
-- page's order so that "the last row" is the last one the function returned.
CREATE TEMP TABLE page1 ON COMMIT DROP AS
    SELECT * FROM ledger.list_journals(page_size => 3) WITH ORDINALITY;
CREATE TEMP TABLE page2 ON COMMIT DROP AS
    SELECT * FROM ledger.list_journals(after_cursor => (SELECT cursor FROM page1 ORDER BY ordinality DESC LIMIT 1),
                                       page_size => 3) WITH ORDINALITY;
CREATE TEMP TABLE page3 ON COMMIT DROP AS
    SELECT * FROM ledger.list_journals(after_cursor => (SELECT cursor FROM page2 ORDER BY ordinality DESC LIMIT 1),
                                       page_size => 3) WITH ORDINALITY;
SELECT results_eq($$SELECT journal_id FROM page1 ORDER BY ordinality$$,
                  $$SELECT journal_id FROM expected WHERE n BETWEEN 1 AND 3 ORDER BY n$$,
                  'Should return the first page of three');
SELECT results_eq($$SELECT journal_id FROM page2 ORDER BY ordinality$$,
                  $$SELECT journal_id FROM expected WHERE n BETWEEN 4 AND 6 ORDER BY n$$,
                  'Should return the second page after the cursor of the first page''s last row');
SELECT results_eq($$SELECT journal_id FROM page3 ORDER BY ordinality$$,
                  $$SELECT journal_id FROM expected WHERE n BETWEEN 7 AND 9 ORDER BY n$$,
                  'Should return the short third page');
SELECT is((SELECT count(*)::integer FROM page3), 2, 'Should end with two journals on the third page');
SELECT is_empty(
    $$SELECT * FROM ledger.list_journals(after_cursor => (SELECT cursor FROM page3 ORDER BY ordinality DESC LIMIT 1))$$,
    'Should return nothing after the last journal''s cursor');
SELECT results_eq(
    $$SELECT idempotency_key FROM ledger.list_journals(
          account => 'CASH', page_size => 2,
          after_cursor => (SELECT cursor FROM ledger.list_journals(account => 'CASH') WHERE idempotency_key = 'j2'))$$,
    $$SELECT idempotency_key FROM expected WHERE n IN (3, 4) ORDER BY n$$,
    'Should paginate an account''s journals with the same cursor');

SELECT throws_ok($$SELECT * FROM ledger.list_journals(after_cursor => 'garbage')$$, 'DX019', NULL,
                 'Should refuse a malformed cursor (DX019)');
SELECT throws_ok($$SELECT * FROM ledger.list_journals(after_cursor => tap.dates('2026-01-10_not-a-uuid'))$$, 'DX019', NULL,
                 'Should refuse a cursor with a bad journal id (DX019)');
SELECT throws_ok($$SELECT * FROM ledger.list_journals(after_cursor => '2026-13-45_' || gen_random_uuid())$$,
                 'DX019', NULL, 'Should refuse a cursor with a bad date (DX019)');
SELECT throws_ok($$SELECT * FROM ledger.list_journals(after_cursor => tap.dates('2026-01-10'))$$, 'DX019', NULL,
                 'Should refuse a cursor without a journal id (DX019)');
SELECT throws_ok($$SELECT * FROM ledger.list_journals(page_size => 0)$$, 'DX019', NULL,
                 'Should refuse page_size 0 (DX019)');
SELECT throws_ok($$SELECT * FROM ledger.list_journals(page_size => 1001)$$, 'DX019', NULL,
                 'Should refuse page_size 1001 (DX019)');
SELECT throws_ok($$SELECT * FROM ledger.list_journals(account => 'NO-SUCH')$$, 'DX020', NULL,
                 'Should raise DX020 for an unknown account filter');

-- Reversals as seen by the reads -------------------------------------------------------------
CREATE TEMP TABLE reversal ON COMMIT DROP AS SELECT * FROM ledger.reverse_journal(tap.jid('j4'), 'rev-j4');
SELECT is((SELECT reversed_by FROM ledger.get_journal(tap.jid('j4'))), (SELECT journal_id FROM reversal),
          'Should name the reversal in reversed_by of the original');
SELECT results_eq(
    $$SELECT kind, reverses, reversed_by, legs FROM ledger.get_journal((SELECT journal_id FROM reversal))$$,
    $$VALUES ('reversal'::text, tap.jid('j4'), NULL::uuid,
              '[{"leg_no": 1, "account": "RENT", "side": "credit", "amount": "300.00", "ccy": "EUR"},
                {"leg_no": 2, "account": "CASH", "side": "debit",  "amount": "300.00", "ccy": "EUR"}]'::jsonb)$$,
    'Should return the reversal with kind, reverses and the mirrored legs');
SELECT is((SELECT balance FROM ledger.get_balance('RENT')), 0.00::numeric,
          'Should bring the reversed expense back to zero');

-- Balances are checkpoint + tail ----------------------------------------------------------------
-- White-box: pretend a roll-up folded every leg of this transaction (watermark above its txid,
-- checkpoints holding the legs' totals). No balance may change.
CREATE TEMP TABLE before_fold ON COMMIT DROP AS
    SELECT b.* FROM ledger_private.account AS a CROSS JOIN LATERAL ledger.get_balance(a.code, tenant => a.tenant) AS b
     WHERE a.tenant = 'default' ORDER BY a.code;
INSERT INTO ledger_private.balance_checkpoint (account_id, tenant, debits, credits)
SELECT l.account_id, 'default', coalesce(sum(l.amount) FILTER (WHERE l.side = 'debit'), 0),
       coalesce(sum(l.amount) FILTER (WHERE l.side = 'credit'), 0)
  FROM ledger_private.leg AS l WHERE l.tenant = 'default' GROUP BY l.account_id;
INSERT INTO ledger_private.balance_watermark (tenant, below_txid)
VALUES ('default', (pg_current_xact_id()::text)::bigint + 1);
SELECT results_eq(
    $$SELECT b.* FROM ledger_private.account AS a CROSS JOIN LATERAL ledger.get_balance(a.code, tenant => a.tenant) AS b
       WHERE a.tenant = 'default' ORDER BY a.code$$,
    $$SELECT * FROM before_fold$$,
    'Should read fully folded balances from the checkpoints alone, unchanged');
SELECT results_eq(
    $$SELECT balance, debits, credits FROM ledger.get_balance('CASH')$$,
    $$VALUES (1700.75::numeric, 2100.75::numeric, 400.00::numeric)$$,
    'Should still report CASH at 2100.75 debits, 400.00 credits after the reversal');
SELECT is((SELECT balance FROM ledger.get_balance('CASH', tenant => 'other')), 5.00::numeric,
          'Should not apply one tenant''s watermark to another tenant');

SELECT throws_ok($$SELECT ledger.roll_up_balances()$$, 'DX016', NULL,
                 'Should refuse to roll up at SERIALIZABLE (DX016)');

-- A malformed tenant is refused by name, not answered as "not found" ------------------
SELECT throws_ok($$SELECT * FROM ledger.get_balance('CASH', NULL, 'no tenant!')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant in get_balance with DX019');
SELECT throws_ok($$SELECT * FROM ledger.get_account('CASH', '')$$, 'DX019', NULL,
                 'Should refuse an empty tenant in get_account with DX019');
SELECT results_eq($$SELECT * FROM ledger.list_accounts(NULL, 10, NULL)$$,
                  $$SELECT * FROM ledger.list_accounts(NULL, 10, 'default')$$,
                  'Should take a NULL tenant in list_accounts as the caller''s own (#14; default for an admin)');
SELECT throws_ok($$SELECT * FROM ledger.get_journal(gen_random_uuid(), 'a/b')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant in get_journal with DX019');
SELECT throws_ok($$SELECT * FROM ledger.list_journals(tenant => 'x y')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant in list_journals with DX019');

SELECT * FROM finish();
ROLLBACK;
