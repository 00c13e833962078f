-- Business dates: per-tenant ledger settings (time zone, cut-off), ledger.business_date(),
-- the default effective date of postings (the current business date, or the next open date
-- when that one is closed), and ledger.eod_status().
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(32);

\ir helpers/fixtures.sql

-- The tenants this file uses besides default (#14: a tenant exists before it is used).
DO $$ BEGIN PERFORM ledger.create_tenant(t) FROM unnest(ARRAY['berlin']) AS t; END $$;
SELECT lives_ok($$
    SELECT ledger.create_account('CASH', 'Cash', 'EUR'), ledger.create_account('LIAB', 'Funds', 'EUR', 'liability'),
           ledger.create_account('CASH', 'Cash', 'EUR', tenant => 'berlin'),
           ledger.create_account('LIAB', 'Funds', 'EUR', 'liability', tenant => 'berlin')
$$, 'Should create accounts in tenants default and berlin');

-- Defaults: UTC, cut-off 00:00 (the calendar day) ---------------------------------------------
SELECT is(ledger.business_date(), (now() AT TIME ZONE 'UTC')::date,
          'Should default the business date to the UTC calendar date');
SELECT is(ledger.business_date('2026-03-10 23:59:59+00'), '2026-03-10'::date,
          'Should keep 23:59:59 UTC on its calendar date with the default cut-off');
SELECT is(ledger.business_date('2026-03-11 00:00:00+00'), '2026-03-11'::date,
          'Should start the next date at midnight UTC');
SELECT results_eq($$SELECT tenant, time_zone, cutoff, business_date, latest_closed_date, open_dates, next_posting_date
                      FROM ledger.eod_status()$$,
                  $$VALUES ('default'::text, 'UTC'::text, '00:00'::time, (now() AT TIME ZONE 'UTC')::date,
                            NULL::date, '{}'::date[], (now() AT TIME ZONE 'UTC')::date)$$,
                  'Should report the defaults for a tenant without settings');

-- Settings ------------------------------------------------------------------------------------
SELECT results_eq($$SELECT tenant, time_zone, cutoff FROM ledger.set_ledger_settings('Europe/Berlin', '17:00', 'berlin')$$,
                  $$VALUES ('berlin'::text, 'Europe/Berlin'::text, '17:00'::time)$$,
                  'Should set time zone and cut-off and return the status');
SELECT is(ledger.business_date('2026-03-10 15:59:59+00', 'berlin'), '2026-03-10'::date,
          'Should keep 16:59:59 Berlin (winter, UTC+1) on its date before a 17:00 cut-off');
SELECT is(ledger.business_date('2026-03-10 16:00:00+00', 'berlin'), '2026-03-11'::date,
          'Should move 17:00 Berlin to the next business date');
SELECT is(ledger.business_date('2026-07-10 15:00:00+00', 'berlin'), '2026-07-11'::date,
          'Should follow daylight saving: 17:00 Berlin in summer is 15:00 UTC');
SELECT is(ledger.business_date('2026-07-10 14:59:00+00', 'berlin'), '2026-07-10'::date,
          'Should keep 16:59 Berlin summer time on its date');
SELECT is(ledger.business_date('2026-03-10 23:30:00+00', 'berlin'), '2026-03-11'::date,
          'Should put 00:30 local on the date after a 17:00 cut-off too (same business day)');
SELECT is((SELECT cutoff FROM ledger.set_ledger_settings(time_zone => 'Asia/Tokyo', tenant => 'berlin')),
          '17:00'::time, 'Should keep the cut-off when only the time zone is given');
SELECT is((SELECT time_zone FROM ledger.set_ledger_settings(cutoff => '00:00', tenant => 'berlin')),
          'Asia/Tokyo', 'Should keep the time zone when only the cut-off is given');
SELECT is(ledger.business_date('2026-03-10 15:00:00+00', 'berlin'), '2026-03-11'::date,
          'Should use the calendar date in Tokyo (UTC+9) with cut-off 00:00');
SELECT is(ledger.business_date(tenant => 'default'), (now() AT TIME ZONE 'UTC')::date,
          'Should leave other tenants on their own settings');
SELECT is(ledger.business_date(NULL, 'berlin'), ledger.business_date(now(), 'berlin'),
          'Should read a NULL instant as now');

SELECT throws_ok($$SELECT ledger.set_ledger_settings('Mars/Olympus')$$, 'DX027', NULL,
                 'Should refuse an unknown time zone (DX027)');
SELECT throws_ok($$SELECT ledger.set_ledger_settings('CET5')$$, 'DX027', NULL,
                 'Should refuse a POSIX offset that is not a zone name (DX027)');
SELECT throws_ok($$SELECT ledger.set_ledger_settings(cutoff => '24:00')$$, 'DX027', NULL,
                 'Should refuse a cut-off of 24:00 (DX027)');
SELECT throws_ok($$SELECT ledger.set_ledger_settings('UTC', tenant => 'bad tenant')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant (DX019)');
SELECT throws_ok($$SELECT ledger.business_date(now(), 'bad tenant')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant in business_date (DX019)');
SELECT is((SELECT count(*)::integer FROM ledger_private.ledger_settings WHERE tenant = 'default'), 0,
          'Should have written no settings for the refused calls');

-- The default effective date ------------------------------------------------------------------
SELECT is((SELECT effective_date FROM ledger.post_journal('d-1', tap.pair())), ledger.business_date(),
          'Should date a posting without a date on the current business date');
SELECT lives_ok($$SELECT ledger.set_ledger_settings('Pacific/Kiritimati', tenant => 'berlin')$$,
                'Should move tenant berlin to UTC+14');
SELECT is((SELECT effective_date FROM ledger.post_journal('d-2', tap.pair(), tenant => 'berlin')),
          ((now() AT TIME ZONE 'Pacific/Kiritimati')::date),
          'Should date a posting on the business date of its tenant''s time zone');
SELECT is(ledger_private.default_effective_date('berlin'), ledger.business_date(tenant => 'berlin'),
          'Should keep default_effective_date(tenant) → date as the helper other postings use');

-- When today is closed, the next open date
SELECT is((SELECT business_date FROM ledger.eod_close(ledger.business_date())), ledger.business_date(),
          'Should close the current business date');
SELECT is((SELECT effective_date FROM ledger.post_journal('d-3', tap.pair())), ledger.business_date() + 1,
          'Should date a posting without a date on the next open date when today is closed');
SELECT is((SELECT effective_date FROM ledger.reverse_journal(
              (SELECT journal_id FROM ledger_private.journal WHERE idempotency_key = 'd-1'), 'd-1-rev')),
          ledger.business_date() + 1, 'Should date a reversal on the next open date too');
SELECT is((SELECT effective_date FROM ledger.post_journals('[{"idempotency_key": "d-4", "legs": [
              {"account": "CASH", "side": "debit", "amount": "1.00", "ccy": "EUR"},
              {"account": "LIAB", "side": "credit", "amount": "1.00", "ccy": "EUR"}]}]')),
          ledger.business_date() + 1, 'Should date a batch request without a date on the next open date');
SELECT results_eq($$SELECT latest_closed_date, open_dates, next_posting_date FROM ledger.eod_status()$$,
                  $$VALUES (ledger.business_date(), ARRAY[ledger.business_date() + 1], ledger.business_date() + 1)$$,
                  'Should report the closed date, the open date with activity and the next posting date');
SELECT is((SELECT last_seal FROM ledger.eod_status()),
          (SELECT encode(seal, 'hex') FROM ledger_private.day_close WHERE tenant = 'default'),
          'Should report the seal of the latest close');

SELECT * FROM finish();
ROLLBACK;
