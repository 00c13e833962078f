-- FX: rates (upsert, direct and inverted lookups, the latest valid date), exact half-even
-- rounding (0-, 2- and 3-decimal currencies), settlements (both fixed sides, residuals, the
-- two journals through the clearing accounts, one key for the whole settlement, replay),
-- every rejection by SQLSTATE with nothing written (closed business dates included), and the
-- FX position.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(104);

-- Helpers: tap.row_counts (journals, legs, sentinels, settlements, accounts), snapshot.
\ir helpers/fixtures.sql

-- The tenants this file uses besides default (#14: a tenant exists before it is used).
DO $$ BEGIN PERFORM ledger.create_tenant(t) FROM unnest(ARRAY['acme', 'shut']) AS t; END $$;

-- A settlement's amounts and residual as text: source, destination, residual.
CREATE FUNCTION tap.amounts(p_key text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%s %s -> %s %s, residual %s %s', s.source_amount, s.source_ccy,
                  s.destination_amount, s.destination_ccy, s.residual, s.residual_ccy)
      FROM ledger_private.fx_settlement AS s WHERE s.idempotency_key = p_key
$$;

SELECT lives_ok($$
    SELECT tap.create_accounts('EUR-A EUR asset', 'USD-A USD asset', 'EUR-W EUR liability',
                               'USD-W USD liability', 'JPY-A JPY asset', 'BHD-A BHD asset',
                               'EUR-B EUR asset', 'EUR-POOR EUR asset non-negative',
                               'USD-FROZEN USD asset', 'GBP-A GBP asset', 'CHF-A CHF asset')
$$, 'Should create the accounts of the tests');

-- Exact half-even rounding -------------------------------------------------------------------
SELECT results_eq(
    $$SELECT ledger_private.round_half_even(x.a, x.b, x.e)::text
        FROM (VALUES (1, 2.5, 1, 0), (2, 3.5, 1, 0), (3, -2.5, 1, 0), (4, 0.5, 1, 0),
                     (5, 0.125, 1, 2), (6, 0.135, 1, 2), (7, 0.1251, 1, 2), (8, -0.125, 1, 2),
                     (9, 0.0125, 1, 3), (10, 0.0135, 1, 3), (11, 1, 3, 12), (12, 2, 3, 0),
                     (13, 1, 2, 0), (14, 3, 2, 0), (15, 1, 1.1, 12), (16, 7, 1, 2))
             AS x (n, a, b, e) ORDER BY x.n$$,
    $$VALUES ('2'::text), ('4'), ('-2'), ('0'), ('0.12'), ('0.14'), ('0.13'), ('-0.12'),
             ('0.012'), ('0.014'), ('0.333333333333'), ('1'), ('0'), ('2'), ('0.909090909091'),
             ('7.00')$$,
    'Should round halves to even (0, 2 and 3 decimals, quotients, negatives) and pad the scale');

-- Rates ----------------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT base, quote, rate::text, valid_on, direction, source
        FROM ledger.upsert_fx_rate('EUR', 'USD', 1.0850, tap.day('2026-01-01'), 'ECB')$$,
    $$VALUES ('EUR'::text, 'USD'::text, '1.0850'::text, tap.day('2026-01-01'), 'direct'::text, 'ECB'::text)$$,
    'Should store a rate as given and answer it');
SELECT lives_ok($$
    SELECT ledger.upsert_fx_rate(r.base, r.quote, r.rate, r.valid_on)
      FROM (VALUES ('EUR', 'USD', 1.1000, tap.day('2026-02-01')), ('EUR', 'USD', 9.9, tap.day('2026-03-01')),
                   ('EUR', 'JPY', 150, tap.day('2026-01-01')), ('USD', 'EUR', 0.9, tap.day('2026-02-10')),
                   ('USD', 'EUR', 0.8, tap.day('2026-03-01')), ('EUR', 'USD', 1.5, tap.day('2026-01-01')))
           AS r (base, quote, rate, valid_on)
$$, 'Should upsert several rates');
SELECT is((SELECT count(*)::integer FROM ledger_private.fx_rate WHERE base = 'EUR' AND quote = 'USD'), 3,
          'Should replace the rate of a pair and date, not add one');
SELECT results_eq(
    $$SELECT rate::text, source FROM ledger.fx_rate('EUR', 'USD', tap.day('2026-01-15'))$$,
    $$VALUES ('1.5'::text, NULL::text)$$,
    'Should answer the replaced rate (and its new source)');
SELECT lives_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1.2, tap.day('2026-03-01'))$$,
                tap.dates('Should replace the 2026-03-01 rate'));

SELECT results_eq(
    $$SELECT base, quote, rate::text, valid_on, direction FROM ledger.fx_rate('EUR', 'USD', tap.day('2026-02-05'))$$,
    $$VALUES ('EUR'::text, 'USD'::text, '1.1000'::text, tap.day('2026-02-01'), 'direct'::text)$$,
    'Should answer the stored pair directly, valid from the latest date on or before the day');
SELECT results_eq(
    $$SELECT rate::text, valid_on FROM ledger.fx_rate('EUR', 'USD', tap.day('2026-02-01'))$$,
    $$VALUES ('1.1000'::text, tap.day('2026-02-01'))$$,
    'Should use a rate on its own valid_on date');
SELECT results_eq(
    $$SELECT rate::text, valid_on FROM ledger.fx_rate('EUR', 'USD', tap.day('2026-01-31'))$$,
    $$VALUES ('1.5'::text, tap.day('2026-01-01'))$$,
    'Should use the earlier rate the day before a newer one');
SELECT results_eq(
    $$SELECT base, quote, rate::text, valid_on, direction FROM ledger.fx_rate('JPY', 'EUR', tap.day('2026-01-05'))$$,
    $$VALUES ('JPY'::text, 'EUR'::text, '0.006666666667'::text, tap.day('2026-01-01'), 'inverted'::text)$$,
    'Should invert the stored pair: 1/150 rounded half-even to 12 decimals');
SELECT results_eq(
    $$SELECT rate::text, valid_on, direction FROM ledger.fx_rate('EUR', 'USD', tap.day('2026-02-15'))$$,
    $$VALUES ('1.111111111111'::text, tap.day('2026-02-10'), 'inverted'::text)$$,
    'Should prefer the inverse pair when it is valid from a later date (1/0.9)');
SELECT results_eq(
    $$SELECT rate::text, valid_on, direction FROM ledger.fx_rate('USD', 'EUR', tap.day('2026-02-05'))$$,
    $$VALUES ('0.909090909091'::text, tap.day('2026-02-01'), 'inverted'::text)$$,
    'Should invert 1.1000 to 0.909090909091');
SELECT results_eq(
    $$SELECT rate::text, valid_on, direction FROM ledger.fx_rate('EUR', 'USD', tap.day('2026-03-05'))$$,
    $$VALUES ('1.2'::text, tap.day('2026-03-01'), 'direct'::text)$$,
    'Should prefer the stored pair when both are valid from the same date');
SELECT is((SELECT valid_on FROM ledger.fx_rate('EUR', 'USD')), tap.day('2026-03-01'),
          'Should default the day to the current business date');
SELECT lives_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', 0.000000000001, tap.day('2020-01-01')),
                         ledger.upsert_fx_rate('EUR', 'USD', 999999999999.999999999999, tap.day('2020-01-02'))$$,
                'Should accept 12 decimals and rates just below 10^12');

-- Rate errors
SELECT throws_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', 0, tap.day('2026-01-01'))$$, 'DX030', NULL,
                 'Should refuse a zero rate (DX030)');
SELECT throws_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', -1.5, tap.day('2026-01-01'))$$, 'DX030', NULL,
                 'Should refuse a negative rate (DX030)');
SELECT throws_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1.0000000000001, tap.day('2026-01-01'))$$, 'DX030', NULL,
                 'Should refuse a rate with 13 decimals (DX030)');
SELECT throws_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', 'NaN', tap.day('2026-01-01'))$$, 'DX030', NULL,
                 'Should refuse NaN (DX030)');
SELECT throws_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1e12, tap.day('2026-01-01'))$$, 'DX030', NULL,
                 'Should refuse a rate of 10^12 (DX030)');
SELECT throws_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', NULL, tap.day('2026-01-01'))$$, 'DX030', NULL,
                 'Should refuse a NULL rate (DX030)');
SELECT throws_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1.1, NULL)$$, 'DX030', NULL,
                 'Should refuse a missing valid_on (DX030)');
SELECT throws_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1.1, tap.day('2026-01-01'), '')$$, 'DX030', NULL,
                 'Should refuse an empty source (DX030)');
SELECT throws_ok($$SELECT ledger.upsert_fx_rate('EUR', 'EUR', 1, tap.day('2026-01-01'))$$, 'DX031', NULL,
                 'Should refuse a pair with base = quote (DX031)');
SELECT throws_ok($$SELECT ledger.fx_rate('USD', 'USD', tap.day('2026-01-01'))$$, 'DX031', NULL,
                 'Should refuse a lookup with base = quote (DX031)');
SELECT throws_ok($$SELECT ledger.upsert_fx_rate('EUR', 'XXX', 1, tap.day('2026-01-01'))$$, 'DX005', NULL,
                 'Should refuse an unknown quote currency (DX005)');
SELECT throws_ok($$SELECT ledger.fx_rate('eur', 'USD')$$, 'DX005', NULL,
                 'Should refuse an unknown base currency in a lookup (DX005)');
SELECT throws_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1, tap.day('2026-01-01'), tenant => 'bad tenant')$$,
                 'DX019', NULL, 'Should refuse a malformed tenant (DX019)');
SELECT throws_ok($$SELECT ledger.fx_rate('EUR', 'USD', tap.day('2019-12-31'))$$, 'DX032',
                 tap.dates('rate: no EUR/USD rate (nor USD/EUR) valid on or before 2019-12-31 in tenant default'),
                 'Should refuse a lookup before any rate with DX032 naming the pair and date');
SELECT throws_ok($$SELECT ledger.fx_rate('USD', 'JPY', tap.day('2026-06-01'))$$, 'DX032', NULL,
                 'Should not chain rates through a third currency (DX032)');
SELECT throws_ok($$SELECT ledger.fx_rate('EUR', 'USD', tap.day('2026-06-01'), 'acme')$$, 'DX032', NULL,
                 'Should keep rates per tenant (DX032 in another tenant)');

-- Settlements: fixed source ------------------------------------------------------------------
INSERT INTO snapshot VALUES ('before first', tap.row_counts());
CREATE TEMP TABLE first_fx ON COMMIT DROP AS
    SELECT * FROM ledger.post_fx_transfer('fx-1', 'EUR-A', 'USD-A', 100.00,
                                          effective_date => tap.day('2026-02-05'), memo => 'm', ref => 'R-1');
SELECT results_eq(
    $$SELECT status, idempotency_key, from_account, to_account, source_ccy, destination_ccy,
             source_amount::text, destination_amount::text, rate::text, rate_basis, rate_valid_on,
             fixed_side, residual::text, residual_ccy, effective_date
        FROM first_fx$$,
    $$VALUES ('posted'::text, 'fx-1'::text, 'EUR-A'::text, 'USD-A'::text, 'EUR'::text, 'USD'::text,
              '100.00'::text, '110.00'::text, '1.1000'::text, 'direct'::text, tap.day('2026-02-01'),
              'source'::text, '0'::text, 'USD'::text, tap.day('2026-02-05'))$$,
    'Should convert 100.00 EUR at the day''s rate 1.1000 into 110.00 USD');
SELECT is((SELECT created_at FROM first_fx), now(), 'Should return created_at');
SELECT is((SELECT count(*)::integer FROM ledger_private.journal
            WHERE journal_id IN (SELECT source_journal_id FROM first_fx UNION ALL
                                 SELECT destination_journal_id FROM first_fx)
              AND kind = 'fx' AND effective_date = tap.day('2026-02-05') AND memo = 'm' AND ref = 'R-1'),
          2, 'Should post two journals of kind fx with the date, memo and ref');
SELECT results_eq(
    $$SELECT j.idempotency_key, j.metadata
        FROM ledger_private.journal AS j JOIN first_fx AS f ON j.journal_id = f.source_journal_id$$,
    $$SELECT format('fx/%s/source', f.settlement_id), jsonb_build_object(
                 'fx_settlement_id', f.settlement_id, 'fx_idempotency_key', 'fx-1')
        FROM first_fx AS f$$,
    'Should key the source journal fx/<settlement>/source and link it in its metadata');
SELECT results_eq(
    $$SELECT a.code, l.side, l.amount::text, l.ccy
        FROM ledger_private.leg AS l
        JOIN ledger_private.account AS a USING (account_id)
        JOIN first_fx AS f ON l.journal_id IN (f.source_journal_id, f.destination_journal_id)
       ORDER BY l.journal_id = f.destination_journal_id, l.leg_no$$,
    $$VALUES ('EUR-A'::text, 'credit'::text, '100.00'::text, 'EUR'::text),
             ('FX-CLEARING-EUR', 'debit', '100.00', 'EUR'),
             ('FX-CLEARING-USD', 'credit', '110.00', 'USD'),
             ('USD-A', 'debit', '110.00', 'USD')$$,
    'Should post EUR-A → FX-CLEARING-EUR and FX-CLEARING-USD → USD-A');
SELECT results_eq(
    $$SELECT code, ccy, type, allow_negative, status FROM ledger_private.account
       WHERE code LIKE 'FX-CLEARING-%' ORDER BY code$$,
    $$VALUES ('FX-CLEARING-EUR'::text, 'EUR'::text, 'equity'::text, true, 'active'::text),
             ('FX-CLEARING-USD', 'USD', 'equity', true, 'active')$$,
    'Should open the clearing accounts on first use: equity, allowed to go negative');
SELECT results_eq(
    $$SELECT s.operation, s.journal_id FROM ledger_private.idempotency_sentinel AS s
       WHERE s.idempotency_key = 'fx-1'$$,
    $$SELECT 'post_fx_transfer'::text, settlement_id FROM first_fx$$,
    'Should claim the caller''s key once, for the settlement');
SELECT is((SELECT tap.row_counts()),
          (SELECT replace(replace(replace(replace(replace(counts,
                      'journals=0', 'journals=2'), 'legs=0', 'legs=4'), 'sentinels=0', 'sentinels=3'),
                      'settlements=0', 'settlements=1'), 'accounts=11', 'accounts=13')
             FROM snapshot WHERE label = 'before first'),
          'Should write 2 journals, 4 legs, 3 sentinels, 1 settlement and 2 clearing accounts');
SELECT results_eq(
    $$SELECT balance::text FROM ledger.get_balance('EUR-A') UNION ALL
      SELECT balance::text FROM ledger.get_balance('USD-A') UNION ALL
      SELECT balance::text FROM ledger.get_balance('FX-CLEARING-EUR') UNION ALL
      SELECT balance::text FROM ledger.get_balance('FX-CLEARING-USD')$$,
    $$VALUES ('-100.00'::text), ('110.00'), ('-100.00'), ('110.00')$$,
    'Should move the balances: from down, to up; clearing short EUR, long USD');

-- Replay
INSERT INTO snapshot VALUES ('after first', tap.row_counts());
SELECT results_eq(
    $$SELECT settlement_id, status, source_journal_id, destination_journal_id, destination_amount
        FROM ledger.post_fx_transfer('fx-1', 'EUR-A', 'USD-A', 100.00,
                                     effective_date => tap.day('2026-02-05'), memo => 'm', ref => 'R-1')$$,
    $$SELECT settlement_id, 'duplicate'::text, source_journal_id, destination_journal_id, destination_amount
        FROM first_fx$$,
    'Should answer a replay with the original settlement and status duplicate');
SELECT lives_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1.3, tap.day('2026-02-01')),
                         ledger.set_account_status('USD-A', 'frozen')$$,
                'Should change the rate and freeze the destination account');
SELECT results_eq(
    $$SELECT settlement_id, status, rate::text
        FROM ledger.post_fx_transfer('fx-1', 'EUR-A', 'USD-A', 100.00,
                                     effective_date => tap.day('2026-02-05'), memo => 'm', ref => 'R-1')$$,
    $$SELECT settlement_id, 'duplicate'::text, '1.1000'::text FROM first_fx$$,
    'Should still replay after the rate changed and the account was frozen');
SELECT lives_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1.1000, tap.day('2026-02-01')),
                         ledger.set_account_status('USD-A', 'active')$$,
                'Should restore the rate and the account');
SELECT throws_ok($$SELECT ledger.post_fx_transfer('fx-1', 'EUR-A', 'USD-A', 100.01,
                                                 effective_date => tap.day('2026-02-05'), memo => 'm', ref => 'R-1')$$,
                 'DX011', NULL, 'Should refuse the key with another amount (DX011)');
SELECT throws_ok($$SELECT ledger.post_fx_transfer('fx-1', 'EUR-A', 'USD-A', 100,
                                                 effective_date => tap.day('2026-02-05'), memo => 'm', ref => 'R-1')$$,
                 'DX011', NULL, 'Should refuse the key with "100" for "100.00", as post_journal does (DX011)');
SELECT throws_ok($$SELECT ledger.post_journal('fx-1', '[
        {"account": "EUR-A", "side": "debit", "amount": "1.00", "ccy": "EUR"},
        {"account": "EUR-B", "side": "credit", "amount": "1.00", "ccy": "EUR"}]')$$,
                 'DX011', NULL, 'Should refuse a plain journal under a settlement''s key (DX011)');
SELECT is((SELECT tap.row_counts()), (SELECT counts FROM snapshot WHERE label = 'after first'),
          'Should write nothing for replays and conflicts');

-- Rounding of the computed side: exact halves in JPY (0), EUR (2) and BHD (3 decimals)
SELECT lives_ok($$
    SELECT ledger.post_fx_transfer('r-jpy-1', 'EUR-A', 'JPY-A', 0.03, effective_date => tap.day('2026-01-10')),
           ledger.post_fx_transfer('r-jpy-2', 'EUR-A', 'JPY-A', 0.05, effective_date => tap.day('2026-01-10')),
           ledger.post_fx_transfer('r-eur-1', 'USD-A', 'EUR-B', 0.25, rate => 0.5, effective_date => tap.day('2026-01-10')),
           ledger.post_fx_transfer('r-eur-2', 'USD-A', 'EUR-B', 0.27, rate => 0.5, effective_date => tap.day('2026-01-10')),
           ledger.post_fx_transfer('r-bhd-1', 'EUR-A', 'BHD-A', 0.25, rate => 0.05, effective_date => tap.day('2026-01-10')),
           ledger.post_fx_transfer('r-bhd-2', 'EUR-A', 'BHD-A', 0.27, rate => 0.05, effective_date => tap.day('2026-01-10')),
           ledger.post_fx_transfer('r-up', 'EUR-A', 'JPY-A', 0.07, rate => 150.1, effective_date => tap.day('2026-01-10'))
$$, 'Should post the rounding cases');
SELECT results_eq(
    $$SELECT tap.amounts(k) FROM unnest(ARRAY['r-jpy-1', 'r-jpy-2', 'r-eur-1', 'r-eur-2', 'r-bhd-1',
                                               'r-bhd-2', 'r-up']) WITH ORDINALITY AS k (k, n) ORDER BY n$$,
    $$VALUES ('0.03 EUR -> 4 JPY, residual 0.5 JPY'::text),
             ('0.05 EUR -> 8 JPY, residual -0.5 JPY'),
             ('0.25 USD -> 0.12 EUR, residual 0.005 EUR'),
             ('0.27 USD -> 0.14 EUR, residual -0.005 EUR'),
             ('0.25 EUR -> 0.012 BHD, residual 0.0005 BHD'),
             ('0.27 EUR -> 0.014 BHD, residual -0.0005 BHD'),
             ('0.07 EUR -> 11 JPY, residual -0.493 JPY')$$,
    'Should round exact halves to even (4.5 → 4, 7.5 → 8, 0.125 → 0.12, 0.135 → 0.14, 0.0125 → 0.012, 0.0135 → 0.014) and store the residual');
SELECT results_eq(
    $$SELECT rate::text, rate_basis, rate_valid_on FROM ledger_private.fx_settlement
       WHERE idempotency_key IN ('r-jpy-1', 'r-eur-1') ORDER BY idempotency_key$$,
    $$VALUES ('0.5'::text, 'override'::text, NULL::date), ('150', 'direct', tap.day('2026-01-01'))$$,
    'Should record an explicit rate as override and a looked-up one with its date');

-- Fixed destination
SELECT results_eq(
    $$SELECT source_amount::text, destination_amount::text, residual::text, residual_ccy, fixed_side
        FROM ledger.post_fx_transfer('d-1', 'EUR-A', 'USD-A', 110.00, 'destination',
                                     effective_date => tap.day('2026-02-05'))$$,
    $$VALUES ('100.00'::text, '110.00'::text, '0'::text, 'EUR'::text, 'destination'::text)$$,
    'Should compute the source amount for a fixed destination: 110.00 USD / 1.1 = 100.00 EUR');
SELECT results_eq(
    $$SELECT source_amount::text, destination_amount::text, residual::text
        FROM ledger.post_fx_transfer('d-2', 'EUR-A', 'USD-A', 1.00, 'destination',
                                     effective_date => tap.day('2026-02-05'))$$,
    $$VALUES ('0.91'::text, '1.00'::text, '-0.00090909090909090909'::text)$$,
    'Should round 1.00 / 1.1 = 0.909… to 0.91 and keep the residual to 20 decimals');
SELECT lives_ok($$
    SELECT ledger.post_fx_transfer('d-3', 'EUR-A', 'USD-A', 0.03, 'destination', rate => 2),
           ledger.post_fx_transfer('d-4', 'EUR-A', 'USD-A', 0.05, 'destination', rate => 2),
           ledger.post_fx_transfer('d-5', 'EUR-A', 'USD-A', 3, 'destination', rate => 2)
$$, 'Should post quotients with exact halves');
SELECT results_eq(
    $$SELECT tap.amounts(k) FROM unnest(ARRAY['d-3', 'd-4', 'd-5']) WITH ORDINALITY AS k (k, n) ORDER BY n$$,
    $$VALUES ('0.02 EUR -> 0.03 USD, residual -0.005 EUR'::text),
             ('0.02 EUR -> 0.05 USD, residual 0.005 EUR'),
             ('1.50 EUR -> 3.00 USD, residual 0 EUR')$$,
    'Should round exact halves of a quotient to even (0.015 → 0.02, 0.025 → 0.02)');
SELECT results_eq(
    $$SELECT source_amount::text, destination_amount::text, residual::text, residual_ccy
        FROM ledger.post_fx_transfer('d-jpy', 'JPY-A', 'EUR-B', 1.00, 'destination', effective_date => tap.day('2026-01-10'))$$,
    $$VALUES ('150'::text, '1.00'::text, '-0.00000000749999999963'::text, 'JPY'::text)$$,
    'Should convert through the inverted rate 0.006666666667 for a fixed destination: 149.9999999925… → 150 JPY');

-- Liability accounts: from goes down on its normal side (debit), to goes up (credit)
CREATE TEMP TABLE wallet_fx ON COMMIT DROP AS
    SELECT * FROM ledger.post_fx_transfer('w-1', 'EUR-W', 'USD-W', 10.00, effective_date => tap.day('2026-02-05'));
SELECT results_eq(
    $$SELECT a.code, l.side, l.amount::text
        FROM wallet_fx AS f
        JOIN ledger_private.leg AS l ON l.journal_id IN (f.source_journal_id, f.destination_journal_id)
        JOIN ledger_private.account AS a USING (account_id)
       ORDER BY l.journal_id = f.destination_journal_id, l.leg_no$$,
    $$VALUES ('EUR-W'::text, 'debit'::text, '10.00'::text), ('FX-CLEARING-EUR', 'credit', '10.00'),
             ('FX-CLEARING-USD', 'debit', '11.00'), ('USD-W', 'credit', '11.00')$$,
    'Should debit a liability it moves money from and credit the one it moves money to');

-- Every journal balanced in its own currency, clearing balances = sums of the settlements
SELECT is_empty($$
    SELECT l.journal_id, l.ccy FROM ledger_private.leg AS l
      JOIN ledger_private.journal AS j USING (journal_id) WHERE j.kind = 'fx'
     GROUP BY l.journal_id, l.ccy
    HAVING sum(CASE l.side WHEN 'debit' THEN l.amount ELSE -l.amount END) <> 0 OR count(*) <> 2
$$, 'Should post every FX journal with two legs balanced in one currency');
SELECT results_eq(
    $$SELECT a.ccy, b.balance FROM ledger_private.account AS a
       CROSS JOIN LATERAL ledger.get_balance(a.code) AS b
       WHERE a.code LIKE 'FX-CLEARING-%' ORDER BY a.ccy$$,
    $$SELECT c.ccy, sum(c.amount) FROM (
          SELECT s.source_ccy AS ccy,
                 CASE f.normal_side WHEN 'debit' THEN -s.source_amount ELSE s.source_amount END AS amount
            FROM ledger_private.fx_settlement AS s
            JOIN ledger_private.account AS f ON f.account_id = s.from_account_id
          UNION ALL
          SELECT s.destination_ccy,
                 CASE t.normal_side WHEN 'debit' THEN s.destination_amount ELSE -s.destination_amount END
            FROM ledger_private.fx_settlement AS s
            JOIN ledger_private.account AS t ON t.account_id = s.to_account_id) AS c
       GROUP BY c.ccy ORDER BY c.ccy$$,
    'Should hold in each clearing account exactly the sum of its settlements');

-- Rejections: nothing written ----------------------------------------------------------------
SELECT lives_ok($$SELECT ledger.create_account('FX-CLEARING-GBP', 'not a clearing account', 'GBP')$$,
                'Should let someone open FX-CLEARING-GBP as an ordinary asset account');
INSERT INTO snapshot VALUES ('before errors', tap.row_counts());

-- Each refused settlement with its SQLSTATE: the arguments of ledger.post_fx_transfer.
SELECT throws_ok(format('SELECT ledger.post_fx_transfer(%s)', t.arguments), t.code, NULL, t.description)
  FROM (VALUES
    ($$'e', 'EUR-A', 'EUR-B', 1.00, rate => 1$$, 'DX031', 'Should refuse two accounts of one currency (DX031)'),
    ($$'e', 'EUR-A', 'CHF-A', 1.00$$, 'DX032', 'Should refuse a transfer without a rate (DX032)'),
    ($$'e', 'EUR-A', 'USD-A', 1.00, effective_date => tap.day('2019-06-30')$$, 'DX032', 'Should refuse a transfer dated before every rate (DX032)'),
    ($$'e', 'EUR-A', 'USD-A', 1.00, rate => 0$$, 'DX030', 'Should refuse a zero rate override (DX030)'),
    ($$'e', 'EUR-A', 'USD-A', 1.00, rate => 1.0000000000001$$, 'DX030', 'Should refuse a rate override with 13 decimals (DX030)'),
    ($$'e', 'USD-A', 'JPY-A', 0.01, rate => 0.4$$, 'DX033', 'Should refuse a converted amount that rounds to zero (0.004 JPY) (DX033)'),
    ($$'e', 'EUR-A', 'USD-A', 0.01, 'destination', rate => 2$$, 'DX033', 'Should refuse a computed source of 0.005 that rounds to 0.00 (DX033)'),
    ($$'e', 'EUR-A', 'JPY-A', 99999999999999999999, rate => 10$$, 'DX033', 'Should refuse a converted amount of 10^21 (DX033)'),
    ($$'e', 'EUR-A', 'USD-A', 1.001, rate => 1$$, 'DX004', 'Should refuse a fixed source amount with more decimals than EUR (DX004)'),
    ($$'e', 'EUR-A', 'JPY-A', 1.5, 'destination', rate => 150$$, 'DX004', 'Should refuse a fixed JPY destination with decimals (DX004)'),
    ($$'e', 'EUR-A', 'USD-A', 0, rate => 1$$, 'DX003', 'Should refuse a zero amount (DX003)'),
    ($$'e', 'EUR-A', 'USD-A', -5, rate => 1$$, 'DX003', 'Should refuse a negative amount (DX003)'),
    ($$'e', 'EUR-A', 'USD-A', 'NaN', rate => 1$$, 'DX003', 'Should refuse NaN (DX003)'),
    ($$'e', 'EUR-A', 'USD-A', 'Infinity', rate => 1$$, 'DX003', 'Should refuse Infinity (DX003)'),
    ($$'e', 'EUR-A', 'USD-A', 1, 'middle', rate => 1$$, 'DX019', 'Should refuse an unknown fixed_side (DX019)'),
    ($$'', 'EUR-A', 'USD-A', 1, rate => 1$$, 'DX012', 'Should refuse an empty idempotency key (DX012)'),
    ($$'e', 'EUR-A', 'USD-A', 1, memo => repeat('m', 1001)$$, 'DX019', 'Should refuse a memo over 1000 characters (DX019)'),
    ($$'e', 'NOPE', 'USD-A', 1, rate => 1$$, 'DX006', 'Should refuse an unknown from_account (DX006)'),
    ($$'e', 'EUR-A', 'NOPE', 1, rate => 1$$, 'DX006', 'Should refuse an unknown to_account (DX006)'),
    ($$'e', 'EUR-POOR', 'USD-A', 1.00, rate => 1$$, 'DX010', 'Should refuse a settlement that overdraws a non-negative account (DX010)')
       ) AS t (arguments, code, description);

SELECT lives_ok($$SELECT ledger.set_account_status('USD-FROZEN', 'frozen')$$, 'Should freeze USD-FROZEN');
SELECT throws_ok($$SELECT ledger.post_fx_transfer('e', 'EUR-A', 'USD-FROZEN', 1.00, rate => 1)$$, 'DX007', NULL,
                 'Should refuse the settlement when its second journal meets a frozen account (DX007)');
SELECT throws_ok($$SELECT ledger.post_fx_transfer('e', 'USD-FROZEN', 'EUR-A', 1.00, rate => 1)$$, 'DX007', NULL,
                 'Should refuse a frozen from_account (DX007)');
SELECT throws_ok($$SELECT ledger.post_fx_transfer('e', 'EUR-A', 'GBP-A', 1.00, rate => 0.9)$$, 'DX034', NULL,
                 'Should refuse to settle through a misshapen clearing account (DX034)');
SELECT lives_ok($$SELECT ledger.set_account_status('FX-CLEARING-USD', 'frozen')$$,
                'Should freeze the USD clearing account');
SELECT throws_ok($$SELECT ledger.post_fx_transfer('e', 'EUR-A', 'USD-A', 1.00, rate => 1)$$, 'DX007', NULL,
                 'Should refuse a settlement through a frozen clearing account (DX007)');
SELECT lives_ok($$SELECT ledger.set_account_status('FX-CLEARING-USD', 'active')$$,
                'Should reactivate the USD clearing account');
-- A rule another part of the ledger enforces on journal insert (the backdating guard is
-- one): the second journal is refused after the first was written; nothing may remain.
CREATE FUNCTION tap.refuse_destination() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.idempotency_key LIKE 'fx/%/destination' AND NEW.effective_date = tap.day('2026-04-01') THEN
        RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'closed for the test';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER tap_refuse_destination BEFORE INSERT ON ledger_private.journal
    FOR EACH ROW EXECUTE FUNCTION tap.refuse_destination();
SELECT throws_ok($$SELECT ledger.post_fx_transfer('e', 'EUR-A', 'USD-A', 1.00, rate => 1,
                                                 effective_date => tap.day('2026-04-01'))$$, 'P0001', NULL,
                 'Should refuse the whole settlement when a journal-insert rule refuses its second journal');
DROP TRIGGER tap_refuse_destination ON ledger_private.journal;
SELECT is((SELECT tap.row_counts()), (SELECT counts FROM snapshot WHERE label = 'before errors'),
          'Should have written nothing for any rejection (no journal, leg, sentinel, settlement or account)');

-- Tenants ------------------------------------------------------------------------------------------
SELECT lives_ok($$
    SELECT ledger.create_account('EUR-A', 'Acme EUR', 'EUR', tenant => 'acme'),
           ledger.create_account('USD-A', 'Acme USD', 'USD', tenant => 'acme'),
           ledger.upsert_fx_rate('EUR', 'USD', 2, tap.day('2026-01-01'), tenant => 'acme')
$$, 'Should set up tenant acme');
SELECT results_eq(
    $$SELECT status, destination_amount::text
        FROM ledger.post_fx_transfer('fx-1', 'EUR-A', 'USD-A', 1.00, effective_date => tap.day('2026-02-05'),
                                     tenant => 'acme')$$,
    $$VALUES ('posted'::text, '2.00'::text)$$,
    'Should settle with the tenant''s own rate and key space');
SELECT is((SELECT count(*)::integer FROM ledger_private.account
            WHERE tenant = 'acme' AND code LIKE 'FX-CLEARING-%'), 2,
          'Should open clearing accounts per tenant');

-- FX position ------------------------------------------------------------------------------------
SELECT lives_ok($$SELECT ledger.upsert_fx_rate('JPY', 'EUR', 0.006, tap.day('2026-01-01')),
                         ledger.upsert_fx_rate('EUR', 'BHD', 0.4, tap.day('2026-01-01'))$$,
                'Should set rates into EUR');
SELECT results_eq(
    $$SELECT ccy, clearing_account, position::text, reporting_ccy, rate::text, rate_valid_on, value::text
        FROM ledger.fx_position(tap.day('2026-01-31'))$$,
    $$VALUES ('BHD'::text, 'FX-CLEARING-BHD'::text, '0.026'::text, 'EUR'::text, '2.500000000000'::text,
              tap.day('2026-01-01'), '0.06'::text),
             ('EUR', 'FX-CLEARING-EUR', '0.59', 'EUR', '1', NULL, '0.59'),
             ('JPY', 'FX-CLEARING-JPY', '-127', 'EUR', '0.006', tap.day('2026-01-01'), '-0.76'),
             ('USD', 'FX-CLEARING-USD', '-0.52', 'EUR', '0.666666666667', tap.day('2026-01-01'), '-0.35')$$,
    'Should report each clearing balance up to a date, valued at that date''s rate (0.065 → 0.06)');
SELECT results_eq(
    $$SELECT ccy, position::text, rate::text, value::text FROM ledger.fx_position(reporting_ccy => 'CHF')$$,
    $$SELECT a.ccy, b.balance::text, NULL::text, NULL::text
        FROM ledger_private.account AS a CROSS JOIN LATERAL ledger.get_balance(a.code) AS b
       WHERE a.tenant = 'default' AND a.code LIKE 'FX-CLEARING-%' AND a.type = 'equity'
       ORDER BY a.ccy$$,
    'Should report every posting by default and leave value NULL where no rate exists');
SELECT results_eq(
    $$SELECT ccy, position::text, value::text FROM ledger.fx_position(tenant => 'acme')$$,
    $$VALUES ('EUR'::text, '-1.00'::text, '-1.00'::text), ('USD', '2.00', '1.00')$$,
    'Should report a tenant''s own clearing accounts and rates');
SELECT throws_ok($$SELECT * FROM ledger.fx_position(reporting_ccy => 'XXX')$$, 'DX005', NULL,
                 'Should refuse an unknown reporting currency (DX005)');
SELECT throws_ok($$SELECT * FROM ledger.fx_position(tenant => '')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant (DX019)');

-- Closed business dates (the backdating guard on journal insert) ------------------------------
SELECT lives_ok($$
    SELECT ledger.create_account('EUR-A', 'Shut EUR', 'EUR', tenant => 'shut'),
           ledger.create_account('USD-A', 'Shut USD', 'USD', tenant => 'shut'),
           ledger.upsert_fx_rate('EUR', 'USD', 2, tap.day('2000-01-01'), tenant => 'shut'),
           ledger.post_fx_transfer('shut-1', 'EUR-A', 'USD-A', 1.00,
                                   effective_date => ledger.business_date() - 1, tenant => 'shut'),
           ledger.eod_close(ledger.business_date(), tenant => 'shut')
$$, 'Should settle yesterday in tenant shut, then close through today');
INSERT INTO snapshot VALUES ('shut', tap.row_counts());
SELECT throws_ok($$SELECT ledger.post_fx_transfer('shut-2', 'EUR-A', 'USD-A', 1.00,
                                                 effective_date => ledger.business_date(),
                                                 tenant => 'shut')$$, 'DX025', NULL,
                 'Should refuse a settlement dated on a closed business date (DX025)');
SELECT is((SELECT tap.row_counts()), (SELECT counts FROM snapshot WHERE label = 'shut'),
          'Should have written nothing for the settlement on a closed date');
SELECT is((SELECT effective_date FROM ledger.post_fx_transfer('shut-3', 'EUR-A', 'USD-A', 1.00,
                                                               tenant => 'shut')),
          ledger.business_date() + 1,
          'Should date an undated settlement on the next open date when today is closed');
SELECT is((SELECT status FROM ledger.post_fx_transfer('shut-1', 'EUR-A', 'USD-A', 1.00,
                                                       effective_date => ledger.business_date() - 1,
                                                       tenant => 'shut')),
          'duplicate', 'Should still answer a replay of a settlement on a date closed since');

SELECT * FROM finish();
ROLLBACK;
