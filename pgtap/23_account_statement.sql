-- ledger.account_statement: opening balance, every leg of the period in effective order with
-- its running balance, closing balance; the opening of a closed day read from the snapshot
-- equals the live sum of the legs; pages after a cursor continue the running balance; the
-- bounds of the period, the cursor and the page size, each with its DX code.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(32);

\ir helpers/fixtures.sql

DO $$ BEGIN PERFORM ledger.create_tenant('other'); END $$;
-- A statement in one page of up to 1000 legs.
CREATE FUNCTION tap.statement(p_code text, p_from date, p_to date)
RETURNS SETOF record LANGUAGE sql STABLE AS $$
    SELECT s.kind, s.effective_date, s.journal_id, s.leg_no, s.side, s.amount, s.balance
      FROM ledger.account_statement(p_code, p_from, p_to) AS s
$$;
-- The same statement read p_size legs a page, following each page's last cursor.
CREATE FUNCTION tap.paged_statement(p_code text, p_from date, p_to date, p_size integer)
RETURNS TABLE (kind text, effective_date date, journal_id uuid, leg_no smallint, side text,
               amount numeric, balance numeric)
LANGUAGE plpgsql AS $$
DECLARE
    v_cursor text;
    v_next text;
    v_pages integer := 0;
BEGIN
    LOOP
        v_next := NULL;
        FOR kind, effective_date, journal_id, leg_no, side, amount, balance, v_next IN
            SELECT s.kind, s.effective_date, s.journal_id, s.leg_no, s.side, s.amount, s.balance,
                   s.cursor
              FROM ledger.account_statement(p_code, p_from, p_to, v_cursor, p_size) AS s
        LOOP
            RETURN NEXT;
            IF v_next IS NOT NULL THEN v_cursor := v_next; END IF;
        END LOOP;
        EXIT WHEN kind = 'closing';
        v_pages := v_pages + 1;
        IF v_pages > 100 THEN RAISE EXCEPTION 'the pages never end'; END IF;
    END LOOP;
END
$$;

SELECT lives_ok($$
    SELECT ledger.create_account('CASH', 'Cash', 'EUR'), ledger.create_account('SALES', 'Sales', 'EUR', 'income'),
           ledger.create_account('IDLE', 'Idle', 'EUR'),
           ledger.create_account('CASH', 'Cash of other', 'EUR', tenant => 'other'),
           ledger.create_account('SALES', 'Sales of other', 'EUR', 'income', tenant => 'other'),
           ledger.post_journal('a', tap.pair('CASH', 'SALES', '10.00'), tap.d(40), memo => 'before'),
           ledger.post_journal('b', tap.pair('CASH', 'SALES', '5.00'), tap.d(30), memo => 'first', ref => 'R-1'),
           ledger.post_journal('c', tap.pair('SALES', 'CASH', '3.00'), tap.d(30), memo => 'refund'),
           ledger.post_journal('d', tap.pair('CASH', 'SALES', '7.25'), tap.d(20)),
           ledger.post_journal('e', tap.pair('CASH', 'SALES', '1.00'), tap.d(10)),
           ledger.post_journal('f', tap.pair('CASH', 'SALES', '2.00'), tap.d(5)),
           ledger.post_journal('g', tap.pair('CASH', 'SALES', '4.00'), tap.d(1)),
           ledger.post_journal('x', tap.pair('CASH', 'SALES', '99.00'), tap.d(30), tenant => 'other'),
           ledger.eod_close(tap.d(15))
$$, 'Should post on six dates around a close through d-15');
SELECT lives_ok($$SELECT ledger.reverse_journal(tap.jid('f'), 'f-back', 'reversed')$$,
                'Should reverse a journal of an open date');

-- The statement ------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT kind, effective_date, journal_id, side, amount, balance FROM ledger.account_statement('CASH', tap.d(35), tap.d(6))$$,
    $$VALUES ('opening', tap.d(35), NULL::uuid, NULL::text, NULL::numeric, 10.00),
             ('leg', tap.d(30), tap.jid('b'), 'debit', 5.00, 15.00),
             ('leg', tap.d(30), tap.jid('c'), 'credit', 3.00, 12.00),
             ('leg', tap.d(20), tap.jid('d'), 'debit', 7.25, 19.25),
             ('leg', tap.d(10), tap.jid('e'), 'debit', 1.00, 20.25),
             ('closing', tap.d(6), NULL, NULL, NULL, 20.25)$$,
    'Should give the opening balance, each leg of the period in effective order with its running balance, the closing balance');
SELECT results_eq(
    $$SELECT memo, ref, journal_kind, created_at IS NOT NULL FROM ledger.account_statement('CASH', tap.d(30), tap.d(30)) WHERE kind = 'leg'$$,
    $$VALUES ('first', 'R-1', 'transfer', true), ('refund', NULL, 'transfer', true)$$,
    'Should carry each leg''s journal memo, ref, kind and created_at');
SELECT results_eq(
    $$SELECT debits, credits, balance FROM ledger.account_statement('CASH', tap.d(35), tap.d(6)) WHERE kind = 'closing'$$,
    $$VALUES (13.25, 3.00, 20.25)$$,
    'Should total the period''s debits and credits on the closing row');
SELECT results_eq(
    $$SELECT balance FROM ledger.account_statement('SALES', tap.d(35), tap.d(30))$$,
    $$VALUES (10.00), (15.00), (12.00), (12.00)$$,
    'Should run the balance on the account''s normal side (income: credits add)');
SELECT results_eq(
    $$SELECT journal_kind, reverses, side, amount, balance FROM ledger.account_statement('CASH', tap.d(5), tap.d(0)) WHERE kind = 'leg'$$,
    $$VALUES ('transfer', NULL::uuid, 'debit', 2.00, 22.25), ('transfer', NULL, 'debit', 4.00, 26.25),
             ('reversal', tap.jid('f'), 'credit', 2.00, 24.25)$$,
    'Should mark a reversal (dated today) with the journal it reverses, in effective order');
SELECT results_eq(
    $$SELECT kind, balance FROM ledger.account_statement('IDLE', tap.d(35), tap.d(0))$$,
    $$VALUES ('opening', 0.00), ('closing', 0.00)$$,
    'Should give an account without legs its opening and closing rows only');
SELECT is((SELECT count(*)::integer FROM ledger.account_statement('CASH', tap.d(29), tap.d(11)) WHERE kind = 'leg'), 1,
          'Should leave out the legs before from_date and after to_date');
SELECT results_eq(
    $$SELECT kind, balance FROM ledger.account_statement('CASH', tap.d(30), tap.d(30), tenant => 'other')$$,
    $$VALUES ('opening', 0.00), ('leg', 99.00), ('closing', 99.00)$$,
    'Should read only the tenant''s own account of that code');

-- Balances: snapshot, live, running -----------------------------------------------------------
SELECT results_eq(
    $$SELECT balance FROM ledger.account_statement('CASH', tap.d(19), tap.d(0)) WHERE kind = 'opening'$$,
    $$SELECT tap.legs_balance('CASH', tap.d(20))$$,
    'Should open a period after a closed day with the snapshot''s balance, the sum of the legs');
SELECT is((ledger.get_balance('CASH', tap.d(20))).snapshot_source, 'snapshot',
          'Should have read that closed day from the snapshot');
SELECT is((SELECT count(*)::integer FROM generate_series(tap.d(45), tap.d(0), interval '1 day') AS g (d),
                  unnest(ARRAY['CASH', 'SALES']) AS a (code),
                  ledger.account_statement(a.code, g.d::date, tap.d(0)) AS s
            WHERE s.kind = 'opening' AND s.balance <> tap.legs_balance(a.code, g.d::date - 1)), 0,
          'Should open every period, whether its eve is closed or open, with the sum of the legs before it');
SELECT is((SELECT count(*)::integer FROM generate_series(tap.d(45), tap.d(0), interval '1 day') AS g (d),
                  unnest(ARRAY['CASH', 'SALES']) AS a (code),
                  ledger.account_statement(a.code, tap.d(45), g.d::date) AS s
            WHERE s.kind = 'closing' AND s.balance <> (ledger.get_balance(a.code, g.d::date)).balance), 0,
          'Should close every period with get_balance as of to_date');
SELECT is((SELECT count(*)::integer FROM generate_series(tap.d(45), tap.d(0), interval '1 day') AS g (d),
                  unnest(ARRAY['CASH', 'SALES']) AS a (code),
                  LATERAL (SELECT s.balance FROM ledger.account_statement(a.code, tap.d(45), g.d::date) AS s
                            WHERE s.kind = 'leg' ORDER BY s.effective_date DESC, s.journal_id DESC LIMIT 1) AS last
            WHERE last.balance <> (ledger.get_balance(a.code, g.d::date)).balance), 0,
          'Should end the running balance on the closing balance');

-- Pages ------------------------------------------------------------------------------------
SELECT results_eq($$SELECT * FROM tap.paged_statement('CASH', tap.d(45), tap.d(0), 1)$$,
                  $$SELECT * FROM tap.statement('CASH', tap.d(45), tap.d(0)) AS (kind text, effective_date date, journal_id uuid, leg_no smallint, side text, amount numeric, balance numeric)$$,
                  'Should give the same rows a leg at a time, the running balance continued after each cursor');
SELECT results_eq($$SELECT * FROM tap.paged_statement('SALES', tap.d(45), tap.d(0), 3)$$,
                  $$SELECT * FROM tap.statement('SALES', tap.d(45), tap.d(0)) AS (kind text, effective_date date, journal_id uuid, leg_no smallint, side text, amount numeric, balance numeric)$$,
                  'Should give the same rows three legs at a time');
SELECT results_eq(
    $$SELECT kind FROM ledger.account_statement('CASH', tap.d(35), tap.d(6), page_size => 4)$$,
    $$VALUES ('opening'), ('leg'), ('leg'), ('leg'), ('leg'), ('closing')$$,
    'Should close a full page after which the period has no leg');
SELECT results_eq(
    $$SELECT kind FROM ledger.account_statement('CASH', tap.d(35), tap.d(6), page_size => 3)$$,
    $$VALUES ('opening'), ('leg'), ('leg'), ('leg')$$,
    'Should not close a page after which the period has legs');

-- Bounds ------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM ledger.account_statement('CASH', NULL, tap.d(0))$$, 'DX029',
                 'from_date: a statement needs a finite date, got NULL', 'Should refuse a missing from_date');
SELECT throws_ok($$SELECT * FROM ledger.account_statement('CASH', tap.d(1), 'infinity')$$, 'DX029',
                 'to_date: a statement needs a finite date, got infinity', 'Should refuse an infinite to_date');
SELECT throws_ok($$SELECT * FROM ledger.account_statement('CASH', tap.d(0), tap.d(1))$$, 'DX029',
                 tap.dates('from_date: 2026-12-04 is after to_date 2026-12-03'), 'Should refuse a period that ends before it starts');
SELECT throws_ok($$SELECT * FROM ledger.account_statement('CASH', tap.d(366), tap.d(0))$$, 'DX029',
                 tap.dates('to_date: a statement covers at most 366 days, 2025-12-03 to 2026-12-04 is 367'),
                 'Should refuse a period longer than statement_days');
SELECT lives_ok($$SELECT * FROM ledger.account_statement('CASH', tap.d(365), tap.d(0))$$,
                'Should take a period of exactly statement_days');
SELECT throws_ok($$SELECT * FROM ledger.account_statement('CASH', tap.d(5), tap.d(0), 'not-a-cursor')$$, 'DX019',
                 'cursor: ''not-a-cursor'' is not a cursor of this statement', 'Should refuse a malformed cursor');
SELECT throws_ok(format($$SELECT * FROM ledger.account_statement('CASH', tap.d(5), tap.d(0), '%s_%s_1')$$,
                        tap.d(30), tap.jid('b')), 'DX019', NULL, 'Should refuse a cursor outside the period');
SELECT throws_ok($$SELECT * FROM ledger.account_statement('CASH', tap.d(5), tap.d(0), page_size => 0)$$, 'DX019',
                 'page_size: must be between 1 and 10000, got 0', 'Should refuse a page size below 1');
SELECT lives_ok($$SELECT * FROM ledger.account_statement('CASH', tap.d(5), tap.d(0), page_size => 10000)$$,
                'Should take a page of statement_page_legs legs');
SELECT throws_ok($$SELECT * FROM ledger.account_statement('CASH', tap.d(5), tap.d(0), page_size => 10001)$$, 'DX019',
                 'page_size: must be between 1 and 10000, got 10001', 'Should refuse a page size above statement_page_legs');
SELECT throws_ok($$SELECT * FROM ledger.account_statement('NOPE', tap.d(5), tap.d(0))$$, 'DX020', NULL,
                 'Should refuse an unknown account');
SELECT throws_ok($$SELECT * FROM ledger.account_statement('IDLE', tap.d(5), tap.d(0), tenant => 'other')$$, 'DX020', NULL,
                 'Should not find another tenant''s account');
SELECT throws_ok($$SELECT * FROM ledger.account_statement('CASH', tap.d(5), tap.d(0), tenant => 'Bad Tenant!')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant');

SELECT * FROM finish();
ROLLBACK;
