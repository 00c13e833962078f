-- End of day with holds (issue #17, migration 0019): pending holds survive a close
-- unchanged; the snapshots keep posted balances, and record each account's pending hold
-- legs when the close was taken (account_snapshot.pending_debits, pending_credits): live,
-- unresolved holds only (an expired, captured or voided one counts nothing), 0 for an
-- account without any, every account of the tenant (dense, as the snapshots are).
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SET LOCAL client_min_messages = warning;
SELECT plan(13);
\ir helpers/fixtures.sql

SELECT has_column('ledger_private', 'account_snapshot', 'pending_debits', 'Should record pending debits at the close');
SELECT has_column('ledger_private', 'account_snapshot', 'pending_credits', 'Should record pending credits at the close');

SELECT tap.create_accounts('CASH EUR asset', 'WALLET EUR liability non-negative', 'SHOP EUR liability',
                           'IDLE EUR asset');
SELECT ledger.post_journal('fund', tap.pair('CASH', 'WALLET', '100.00'), tap.d(1));
SELECT ledger.post_journal('spend', tap.pair('WALLET', 'SHOP', '10.00'), tap.d(1));
CREATE FUNCTION tap.hid(p_key text) RETURNS uuid
LANGUAGE sql STABLE AS $$ SELECT h.hold_id FROM ledger_private.hold AS h WHERE h.idempotency_key = p_key $$;
SELECT ledger.create_hold('live', tap.pair('WALLET', 'SHOP', '20.00'));
SELECT ledger.create_hold('live2', tap.pair('SHOP', 'WALLET', '2.50'));
SELECT ledger.create_hold('gone', tap.pair('WALLET', 'SHOP', '5.00'), expires_at => clock_timestamp() + interval '20 ms');
SELECT ledger.create_hold('captured', tap.pair('WALLET', 'SHOP', '3.00'));
SELECT ledger.capture_hold(tap.hid('captured'), 'c1');
SELECT ledger.create_hold('voided', tap.pair('WALLET', 'SHOP', '4.00'));
SELECT ledger.void_hold(tap.hid('voided'), 'v1');
SELECT pg_sleep(0.05);
CREATE TEMP TABLE before_close ON COMMIT DROP AS
SELECT b.*, (SELECT status FROM ledger.get_hold(tap.hid('live'))) AS live_status
  FROM ledger.get_available_balance('WALLET') AS b;

SELECT lives_ok($$SELECT ledger.eod_close(tap.d(1))$$, 'Should close the day with holds pending');
SELECT is((SELECT (s.closing_balance, s.pending_debits, s.pending_credits)
             FROM ledger_private.account_snapshot AS s JOIN ledger_private.account AS a USING (account_id)
            WHERE a.code = 'WALLET' AND s.business_date = tap.d(1)),
          (90.00::numeric, 20.00::numeric, 2.50::numeric),
          'Should keep the posted balance and record the live pending legs (not the expired, captured or voided holds)');
SELECT is((SELECT (s.pending_debits, s.pending_credits)
             FROM ledger_private.account_snapshot AS s JOIN ledger_private.account AS a USING (account_id)
            WHERE a.code = 'SHOP' AND s.business_date = tap.d(1)),
          (2.50::numeric, 20.00::numeric), 'Should record the pending legs of the other side');
SELECT is((SELECT (s.pending_debits, s.pending_credits)
             FROM ledger_private.account_snapshot AS s JOIN ledger_private.account AS a USING (account_id)
            WHERE a.code = 'IDLE' AND s.business_date = tap.d(1)),
          (0::numeric, 0::numeric), 'Should record zero for an account without holds');
SELECT is((SELECT count(*)::integer FROM ledger_private.account_snapshot
            WHERE business_date = tap.d(1) AND (pending_debits IS NULL OR pending_credits IS NULL)), 0,
          'Should record them for every account');
SELECT is((SELECT (s.pending_debits, s.pending_credits)
             FROM ledger_private.account_snapshot AS s JOIN ledger_private.account AS a USING (account_id)
            WHERE a.code = 'WALLET' AND s.business_date = tap.d(1)),
          (SELECT (b.pending_debits, b.pending_credits) FROM before_close AS b),
          'Should record what get_available_balance answered at the close');
SELECT is((SELECT balance FROM ledger.get_balance('WALLET', tap.d(1))), 90.00::numeric,
          'get_balance: Should read the closed date''s posted balance from its snapshot');

-- Holds survive the close unchanged ---------------------------------------------------------
SELECT is((SELECT status FROM ledger.get_hold(tap.hid('live'))), (SELECT live_status FROM before_close),
          'Should leave a pending hold pending');
SELECT is((SELECT (b.posted, b.pending_debits, b.pending_credits, b.available) FROM ledger.get_available_balance('WALLET') AS b),
          (SELECT (b.posted, b.pending_debits, b.pending_credits, b.available) FROM before_close AS b),
          'Should leave the available balance as it was');
SELECT is((SELECT status FROM ledger.capture_hold(tap.hid('live'), 'c-live')), 'captured',
          'Should capture a hold after the close');
SELECT is((SELECT effective_date FROM ledger.get_journal((SELECT journal_id FROM ledger.get_hold(tap.hid('live'))))),
          (SELECT ledger.business_date()), 'Should date the capture in the open business date');

SELECT * FROM finish();
ROLLBACK;
