-- The pending side of ledger.get_balance (issue #17): posted (= balance), pending_debits,
-- pending_credits, available and the limits for the balance now, NULL as of a date; the
-- same numbers as get_available_balance. And ledger.sweep_expired_holds, the service's
-- periodic expiry sweep over every tenant.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(14);
\ir helpers/fixtures.sql

DO $$ BEGIN PERFORM ledger.create_tenant('other'); END $$;
SELECT tap.create_accounts('CASH EUR asset', 'WALLET EUR liability non-negative',
                           'MERCHANT EUR liability', 'CARD EUR liability');
SELECT ledger.create_account('CASH', 'Cash', 'EUR', tenant => 'other');
SELECT ledger.create_account('WALLET', 'Wallet', 'EUR', 'liability', tenant => 'other');
SELECT ledger.post_journal('fund', tap.pair('CASH', 'WALLET', '100.00'));
SELECT ledger.post_journal('fund', tap.pair('CASH', 'WALLET', '10.00'), tenant => 'other');
SELECT ledger.set_account_limits('CARD', min_balance => -500);
SELECT ledger.create_hold('auth-1', tap.pair('WALLET', 'MERCHANT', '30.00'));
SELECT ledger.create_hold('auth-2', tap.pair('CARD', 'MERCHANT', '120.00'));

CREATE FUNCTION tap.now_of(p_account text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('balance=%s posted=%s pd=%s pc=%s available=%s min=%s max=%s',
                  b.balance, b.posted, b.pending_debits, b.pending_credits, b.available,
                  b.min_balance, b.max_balance)
      FROM ledger.get_balance(p_account) AS b
$$;

-- get_balance now ---------------------------------------------------------------------------
SELECT is(tap.now_of('WALLET'), 'balance=100.00 posted=100.00 pd=30.00 pc=0.00 available=70.00 min=0 max=',
          'get_balance: Should count a pending debit against a credit-normal account, with its floor (allow_negative = false)');
SELECT is(tap.now_of('MERCHANT'), 'balance=0.00 posted=0.00 pd=0.00 pc=150.00 available=0.00 min= max=',
          'get_balance: Should not count pending legs that increase the balance');
SELECT is(tap.now_of('CARD'), 'balance=0.00 posted=0.00 pd=120.00 pc=0.00 available=-120.00 min=-500 max=',
          'get_balance: Should show a credit line as min_balance and spend it in available');
SELECT is_empty($$
    SELECT b.account, b.posted, b.pending_debits, b.pending_credits, b.available, b.min_balance, b.max_balance
      FROM ledger_private.account AS a CROSS JOIN LATERAL ledger.get_balance(a.code, tenant => a.tenant) AS b
    EXCEPT
    SELECT v.account, v.posted, v.pending_debits, v.pending_credits, v.available, v.min_balance, v.max_balance
      FROM ledger_private.account AS a CROSS JOIN LATERAL ledger.get_available_balance(a.code, tenant => a.tenant) AS v$$,
    'get_balance: Should answer the numbers of get_available_balance for every account');
SELECT ok((SELECT bool_and(b.balance = b.posted)
             FROM ledger_private.account AS a CROSS JOIN LATERAL ledger.get_balance(a.code, tenant => a.tenant) AS b),
          'get_balance: Should keep balance, the posted balance, beside posted');

-- get_balance as of a date ------------------------------------------------------------------
SELECT is((SELECT (balance, posted, pending_debits, pending_credits, available, min_balance, max_balance)::text
             FROM ledger.get_balance('WALLET', ledger.business_date())),
          '(100.00,100.00,,,,,)',
          'get_balance: Should answer the posted balance and no pending side as of a date');

-- Capture and void move the pending side ----------------------------------------------------
SELECT ledger.capture_hold((SELECT hold_id FROM ledger_private.hold WHERE idempotency_key = 'auth-1'),
                           'cap-1', '["20.00", "20.00"]');
SELECT is(tap.now_of('WALLET'), 'balance=80.00 posted=80.00 pd=0.00 pc=0.00 available=80.00 min=0 max=',
          'get_balance: Should post the captured part and release the rest');
SELECT ledger.void_hold((SELECT hold_id FROM ledger_private.hold WHERE idempotency_key = 'auth-2'), 'void-2');
SELECT is(tap.now_of('CARD'), 'balance=0.00 posted=0.00 pd=0.00 pc=0.00 available=0.00 min=-500 max=',
          'get_balance: Should release a voided hold');

-- sweep_expired_holds -----------------------------------------------------------------------
SELECT ledger.create_hold('soon', tap.pair('WALLET', 'MERCHANT', '5.00'),
                          expires_at => clock_timestamp() + interval '30 ms');
SELECT ledger.create_hold('soon', tap.pair('WALLET', 'CASH', '5.00'),
                          expires_at => clock_timestamp() + interval '30 ms', tenant => 'other');
SELECT ledger.create_hold('later', tap.pair('WALLET', 'CASH', '1.00'),
                          expires_at => clock_timestamp() + interval '1 hour', tenant => 'other');
SELECT pg_sleep(0.1);
SELECT is(tap.now_of('WALLET'), 'balance=80.00 posted=80.00 pd=0.00 pc=0.00 available=80.00 min=0 max=',
          'get_balance: Should release an expired hold before any sweep');
-- As the REST service runs it: its own login, no key.
SET LOCAL SESSION AUTHORIZATION doublex_service;
SELECT set_config('doublex.api_key', '', true);
SELECT set_config('tap.swept', (SELECT string_agg(format('%s=%s', s.tenant, s.expired), ' ' ORDER BY s.tenant)
                                  FROM ledger.sweep_expired_holds() AS s), true);
SELECT set_config('tap.again', coalesce((SELECT string_agg(s.tenant, ' ') FROM ledger.sweep_expired_holds() AS s), ''), true);
RESET SESSION AUTHORIZATION;
SELECT is(current_setting('tap.swept'), 'default=1 other=1',
          'sweep_expired_holds: Should mark the expired holds of every tenant, run by the service login without a key');
SELECT is(current_setting('tap.again'), '', 'sweep_expired_holds: Should mark a hold once');
SELECT is((SELECT array_agg((h.tenant, r.outcome, r.resolved_by)::text ORDER BY h.tenant)
             FROM ledger_private.hold AS h JOIN ledger_private.hold_resolution AS r USING (hold_id)
            WHERE h.idempotency_key = 'soon'),
          ARRAY['(default,expired,service)', '(other,expired,service)'],
          'sweep_expired_holds: Should record the service as who marked them');
SELECT is((SELECT status FROM ledger.get_hold((SELECT hold_id FROM ledger_private.hold
                                               WHERE tenant = 'other' AND idempotency_key = 'later'), 'other')),
          'pending', 'sweep_expired_holds: Should leave a hold that has not expired');
SELECT throws_ok($$SET LOCAL ROLE doublex_api; SELECT * FROM ledger.sweep_expired_holds()$$, '42501', NULL,
                 'sweep_expired_holds: Should refuse the API role (the service login''s own)');

SELECT * FROM finish();
ROLLBACK;
