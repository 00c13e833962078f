-- The live page's demo tenants and the posting limit (#16): ledger.create_demo_tenant (two
-- EUR accounts with a posting limit, a post,read key, a bound per address and hour),
-- the limit as a rule of the ledger on every path (DX047), ledger.prune_demo_tenants
-- (archived: keys revoked), and the trial balance (ledger.trial_balance, its totals).
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(48);

\ir helpers/principals.sql

SELECT tap.function_is(f.name, f.args, f.returns, f.lang, f.volatility)
  FROM (VALUES
    ('ledger.create_demo_tenant', ARRAY['inet'], 'ledger.demo_tenant', 'plpgsql', 'volatile'),
    ('ledger.prune_demo_tenants', ARRAY['interval'], 'integer', 'plpgsql', 'volatile'),
    ('ledger.trial_balance', ARRAY['date', 'text', 'integer', 'text'], 'SETOF ledger.trial_balance_line', 'plpgsql', 'stable'),
    ('ledger.trial_balance_totals', ARRAY['date', 'text'], 'SETOF ledger.trial_balance_total', 'plpgsql', 'stable')
       ) AS f (name, args, returns, lang, volatility);

-- A demo tenant -----------------------------------------------------------------------------
CREATE TEMP TABLE demo ON COMMIT DROP AS SELECT * FROM ledger.create_demo_tenant('203.0.113.7');
SELECT ok((SELECT tenant ~ '^demo-[0-9a-f]{16}$' AND token ~ '^dxk_[0-9a-f]{12}\.[0-9a-f]{64}$'
                  AND left(token, 16) = key_id FROM demo),
          'Should name the tenant demo-<16 hex> and answer its key''s token');
SELECT results_eq($$SELECT debit_account, credit_account, ccy, posting_limit FROM demo$$,
                  $$VALUES ('DEMO-CASH'::text, 'DEMO-REV'::text, 'EUR'::text, 500::numeric)$$,
                  'Should answer its two accounts, their currency and the posting limit');
SELECT results_eq($$SELECT a.code, a.type, a.ccy, a.max_leg_amount, a.status FROM ledger_private.account AS a
                     WHERE a.tenant = (SELECT tenant FROM demo) ORDER BY a.code$$,
                  $$VALUES ('DEMO-CASH'::text, 'asset'::text, 'EUR'::text, 500::numeric, 'active'::text),
                           ('DEMO-REV', 'income', 'EUR', 500, 'active')$$,
                  'Should open exactly DEMO-CASH (asset) and DEMO-REV (income) in EUR, limited to 500 a leg');
SELECT results_eq($$SELECT k.capabilities, k.created_by FROM ledger_private.api_key AS k
                     WHERE k.tenant = (SELECT tenant FROM demo)$$,
                  $$VALUES (ARRAY['read', 'post'], 'admin:postgres'::text)$$,
                  'Should give the tenant one key that posts and reads, and nothing else');
SELECT results_eq($$SELECT action FROM ledger_private.audit_log WHERE tenant = (SELECT tenant FROM demo) ORDER BY audit_id$$,
                  $$VALUES ('create_demo_tenant'::text), ('create_api_key')$$,
                  'Should write the creation and the key into the tenant''s audit log');
SELECT is(tap.attempt('doublex_service', NULL, $$SELECT ledger.create_demo_tenant('198.51.100.1')$$), 'ok',
          'Should let the service''s own login create a demo tenant without a key');
SELECT is(tap.attempt('doublex_service', tap.token('all'), $$SELECT ledger.create_demo_tenant('198.51.100.1')$$,
                      'doublex_api'), '42501',
          'Should refuse it to a key''s caller (doublex_api has no EXECUTE)');
SELECT is(tap.attempt('tap_a_all', NULL, $$SELECT ledger.create_demo_tenant('198.51.100.1')$$), '42501',
          'Should refuse it to a bound login');
SELECT throws_ok($$SELECT ledger.create_demo_tenant(NULL)$$, 'DX019',
                 'client_address: required (the address the demo tenant is created for)',
                 'Should refuse a demo tenant without an address (DX019)');

-- The bound per address and hour ------------------------------------------------------------
SELECT is((SELECT count((ledger.create_demo_tenant('203.0.113.7')).tenant)::integer
             FROM generate_series(2, 10) AS i),
          9, 'Should let one address create 10 demo tenants an hour');
SELECT throws_ok($$SELECT ledger.create_demo_tenant('203.0.113.7')$$, 'DX048',
                 'client_address: 203.0.113.7 created 10 demo tenants in the last hour, the most allowed',
                 'Should refuse the address an eleventh within the hour (DX048)');
SELECT is(tap.attempt('doublex_service', NULL, $$SELECT ledger.create_demo_tenant('203.0.113.7')$$), 'DX048',
          'Should refuse it to the service''s login as well');
SELECT ok((SELECT count(*) = 1 FROM ledger.create_demo_tenant('203.0.113.8')),
          'Should count per address: another address still gets one');
UPDATE ledger_private.demo_tenant SET created_at = created_at - interval '61 minutes'
 WHERE client_address = '203.0.113.7' AND tenant = (SELECT tenant FROM demo);
SELECT ok((SELECT count(*) = 1 FROM ledger.create_demo_tenant('203.0.113.7')),
          'Should let the address create one again once its oldest left the hour');

-- The posting limit, with the demo key ------------------------------------------------------
SELECT set_config('doublex.api_key', (SELECT token FROM demo), true);
SELECT results_eq($$SELECT status FROM ledger.post_journal('p-1', tap.pair('DEMO-CASH', 'DEMO-REV', '10.00'))$$,
                  $$VALUES ('posted'::text)$$, 'Should post 10.00 EUR with the demo key');
SELECT results_eq($$SELECT status FROM ledger.post_journal('p-1', tap.pair('DEMO-CASH', 'DEMO-REV', '10.00'))$$,
                  $$VALUES ('duplicate'::text)$$, 'Should answer the replay duplicate');
SELECT lives_ok($$SELECT ledger.post_journal('p-500', tap.pair('DEMO-CASH', 'DEMO-REV', '500.00'))$$,
                'Should post exactly the limit');
SELECT throws_ok($$SELECT ledger.post_journal('p-600', tap.pair('DEMO-CASH', 'DEMO-REV', '600.00'))$$, 'DX047',
                 'legs[0].amount: 600.00 EUR is over the posting limit of account DEMO-CASH (500 EUR per leg)',
                 'Should refuse a leg over the account''s posting limit (DX047)');
SELECT throws_ok($$SELECT ledger.post_journal('p-501', tap.pair('DEMO-CASH', 'DEMO-REV', '500.01'))$$, 'DX047', NULL,
                 'Should refuse a cent over it');
SELECT results_eq($$SELECT status, error_code FROM ledger.post_journals(jsonb_build_array(
                        jsonb_build_object('idempotency_key', 'b-600', 'legs', tap.pair('DEMO-CASH', 'DEMO-REV', '600.00'))))$$,
                  $$VALUES ('rejected'::text, 'DX047'::text)$$,
                  'Should refuse it in a batch too (the same rule, the same code)');
SELECT results_eq($$SELECT status FROM ledger.reverse_journal(tap.jid('p-500', (SELECT tenant FROM demo)), 'r-500')$$,
                  $$VALUES ('posted'::text)$$, 'Should reverse within the limit');
SELECT throws_ok($$SELECT ledger.get_balance('CASH', tenant => 'ta')$$, 'DX042', NULL,
                 'Should refuse the demo key another tenant (DX042)');
SELECT throws_ok($$SELECT ledger.get_balance('CASH')$$, 'DX020', NULL,
                 'Should find no account of another tenant through the demo key (DX020)');
SELECT throws_ok($$SELECT ledger.post_journal('x-1', tap.pair('CASH', 'LIAB', '1.00'))$$, 'DX006', NULL,
                 'Should post to no account outside the demo tenant (DX006)');
SELECT throws_ok($$SELECT ledger.create_account('DEMO-X', 'x', 'EUR')$$, 'DX041', NULL,
                 'Should let the demo key open no account (DX041)');

-- The trial balance ---------------------------------------------------------------------------
SELECT results_eq($$SELECT code, debits, credits, balance FROM ledger.trial_balance()$$,
                  $$VALUES ('DEMO-CASH'::text, 510.00::numeric, 500.00::numeric, 10.00::numeric),
                           ('DEMO-REV', 500.00, 510.00, 10.00)$$,
                  'Should list every account with its debits, credits and normal balance');
SELECT results_eq($$SELECT ccy, accounts, debits, credits, net FROM ledger.trial_balance_totals()$$,
                  $$VALUES ('EUR'::text, 2::bigint, 1010.00::numeric, 1010.00::numeric, 0.00::numeric)$$,
                  'Should total each currency, netting to zero');
SELECT results_eq($$SELECT code FROM ledger.trial_balance(page_size => 1)$$, $$VALUES ('DEMO-CASH'::text)$$,
                  'Should answer a page');
SELECT results_eq($$SELECT code FROM ledger.trial_balance(after_code => 'DEMO-CASH', page_size => 1)$$,
                  $$VALUES ('DEMO-REV'::text)$$, 'Should continue after the cursor');
SELECT results_eq($$SELECT code, debits, credits, balance FROM ledger.trial_balance(as_of => ledger.business_date() - 1)$$,
                  $$VALUES ('DEMO-CASH'::text, 0.00::numeric, 0.00::numeric, 0.00::numeric),
                           ('DEMO-REV', 0.00, 0.00, 0.00)$$,
                  'Should count only the legs effective on or before as_of');
SELECT results_eq($$SELECT debits, credits FROM ledger.trial_balance(as_of => ledger.business_date()) WHERE code = 'DEMO-CASH'$$,
                  $$VALUES (510.00::numeric, 500.00::numeric)$$, 'Should count the legs of as_of itself');
SELECT throws_ok($$SELECT * FROM ledger.trial_balance(page_size => 0)$$, 'DX019', NULL,
                 'Should refuse a page size out of range (DX019)');
SELECT set_config('doublex.api_key', '', true);
SELECT results_eq($$SELECT ccy, net FROM ledger.trial_balance_totals(tenant => 'ta')$$,
                  $$SELECT DISTINCT a.ccy, 0::numeric FROM ledger_private.account AS a WHERE a.tenant = 'ta' ORDER BY 1$$,
                  'Should net every currency of the fixtures'' tenant to zero');

-- Prune ----------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT ledger.prune_demo_tenants(NULL)$$, 'DX019', 'older_than: must be an age of zero or more, got NULL',
                 'Should refuse a NULL age (DX019)');
SELECT throws_ok($$SELECT ledger.prune_demo_tenants(interval '-1 hour')$$, 'DX019', NULL,
                 'Should refuse a negative age (DX019)');
SELECT is(ledger.prune_demo_tenants(interval '1 hour'), 1, 'Should archive only the demo tenants older than the age');
UPDATE ledger_private.demo_tenant SET created_at = created_at - interval '1 second' WHERE archived_at IS NULL;
SELECT is(ledger.prune_demo_tenants(interval '0'), 11, 'Should archive every other one with age 0');
SELECT is(ledger.prune_demo_tenants(interval '0'), 0, 'Should leave the archived ones alone');
SELECT is_empty($$SELECT 1 FROM ledger_private.api_key AS k JOIN ledger_private.demo_tenant AS d USING (tenant)
                   WHERE k.revoked_at IS NULL$$, 'Should revoke every key of an archived demo tenant');
SELECT is(tap.attempt('doublex_service', (SELECT token FROM demo), $$SELECT ledger.get_balance('DEMO-CASH')$$,
                      'doublex_api'), 'DX040', 'Should refuse the archived tenant''s key (DX040)');

SELECT * FROM finish();
ROLLBACK;
