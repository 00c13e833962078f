-- Monitoring asks the ledger: the ledger.monitor_* functions behind postgres_exporter's
-- ledger gauges. Their shape (SECURITY DEFINER, pinned search_path, owner), what they answer
-- (unbalanced journals, journals today, days since close, open reconciliation exceptions,
-- FX clearing positions) and the monitoring role's privileges: EXECUTE on these functions,
-- no table of the ledger readable.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(60);

\ir helpers/fixtures.sql

-- The tenants this file uses besides default (#14: a tenant exists before it is used).
DO $$ BEGIN PERFORM ledger.create_tenant(t) FROM unnest(ARRAY['acme', 'quiet']) AS t; END $$;

CREATE TEMP TABLE monitor_function (name text, returns text) ON COMMIT DROP;
INSERT INTO monitor_function VALUES
    ('monitor_unbalanced_journals', 'setof record'),
    ('monitor_journals_today',      'setof record'),
    ('monitor_days_since_close',    'setof record'),
    ('monitor_recon_exceptions',    'setof record'),
    ('monitor_fx_clearing',         'setof record');

-- Structure -------------------------------------------------------------------------------
SELECT is((SELECT count(*)::integer FROM pg_proc
            WHERE pronamespace = 'ledger'::regnamespace AND proname LIKE 'monitor\_%'),
          (SELECT count(*)::integer FROM monitor_function),
          'Should have exactly the monitoring functions listed here in schema ledger');
SELECT has_function('ledger', f.name, ARRAY[]::text[], format('Should have ledger.%s()', f.name))
  FROM monitor_function AS f ORDER BY f.name;
SELECT function_returns('ledger', f.name, ARRAY[]::text[], f.returns,
                        format('Should have ledger.%s return a set of rows', f.name))
  FROM monitor_function AS f ORDER BY f.name;
SELECT is_definer('ledger', f.name, ARRAY[]::text[], format('Should have ledger.%s be SECURITY DEFINER', f.name))
  FROM monitor_function AS f ORDER BY f.name;
SELECT ok(EXISTS (SELECT FROM pg_proc AS p, unnest(p.proconfig) AS setting
                   WHERE p.oid = format('ledger.%I()', f.name)::regprocedure
                     AND setting ~ '^search_path=.*\mpg_temp$'),
          format('Should have ledger.%s pin a search_path ending in pg_temp', f.name))
  FROM monitor_function AS f ORDER BY f.name;
SELECT function_owner_is('ledger', f.name, ARRAY[]::text[], 'doublex_owner',
                         format('Should have ledger.%s owned by doublex_owner', f.name))
  FROM monitor_function AS f ORDER BY f.name;

-- Privileges ------------------------------------------------------------------------------
SELECT function_privs_are('ledger', f.name, ARRAY[]::text[], 'doublex_monitor', ARRAY['EXECUTE'],
                          format('Should grant doublex_monitor EXECUTE on ledger.%s', f.name))
  FROM monitor_function AS f ORDER BY f.name;
SELECT function_privs_are('ledger', f.name, ARRAY[]::text[], 'doublex_app', ARRAY[]::text[],
                          format('Should grant doublex_app nothing on ledger.%s', f.name))
  FROM monitor_function AS f ORDER BY f.name;
SELECT is_empty($$
    SELECT c.oid::regclass, priv.name
      FROM pg_class AS c
     CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']) AS priv (name)
     WHERE c.relnamespace IN ('ledger'::regnamespace, 'ledger_private'::regnamespace)
       AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND has_table_privilege('doublex_monitor', c.oid, priv.name)
$$, 'Should grant doublex_monitor no privilege on any table of the ledger');
SELECT ok(NOT has_schema_privilege('doublex_monitor', 'ledger_private', 'USAGE'),
          'Should grant doublex_monitor no USAGE on schema ledger_private');
SELECT is_empty($$
    SELECT p.oid::regprocedure
      FROM pg_proc AS p
     WHERE p.pronamespace IN ('ledger'::regnamespace, 'ledger_private'::regnamespace)
       AND p.proname NOT LIKE 'monitor\_%'
       AND has_function_privilege('doublex_monitor', p.oid, 'EXECUTE')
$$, 'Should grant doublex_monitor EXECUTE on the monitoring functions only');

-- Data: two tenants with postings, a third that closed, FX clearing accounts, a reconciliation
SELECT lives_ok($$
    SELECT ledger.create_account('CASH', 'Cash', 'EUR'),
           ledger.create_account('LIAB', 'Funds', 'EUR', 'liability'),
           ledger.create_account('FX-CLEARING-EUR', 'FX clearing EUR', 'EUR', 'equity', true),
           ledger.create_account('FX-CLEARING-USD', 'FX clearing USD', 'USD', 'equity', true),
           ledger.create_account('USD-CASH', 'Cash', 'USD'),
           -- Named like a clearing account, but not of its shape: not a position.
           ledger.create_account('FX-CLEARING-GBP', 'Not clearing', 'GBP', 'asset'),
           ledger.create_account('CASH', 'Cash', 'EUR', tenant => 'acme'),
           ledger.create_account('LIAB', 'Funds', 'EUR', 'liability', tenant => 'acme'),
           ledger.create_account('CASH', 'Cash', 'EUR', tenant => 'quiet')
$$, 'Should create the accounts of the tests');

-- Nothing posted yet: every gauge answers, with zeros.
SELECT results_eq($$SELECT journals, window_seconds FROM ledger.monitor_unbalanced_journals()$$,
                  $$VALUES (0::bigint, 900)$$,
                  'Should count no unbalanced journal in a ledger without journals');
SELECT results_eq($$SELECT kind, open_exceptions FROM ledger.monitor_recon_exceptions() ORDER BY kind$$,
                  $$VALUES ('amount_mismatch'::text, 0::bigint), ('missing_in_bank', 0), ('missing_in_ledger', 0)$$,
                  'Should report every exception kind, 0 included');

SELECT lives_ok($$
    SELECT ledger.post_journal('today-1', tap.pair('CASH', 'LIAB', '10.00')),
           ledger.post_journal('today-2', tap.pair('CASH', 'LIAB', '5.00')),
           ledger.post_journal('earlier', tap.pair('CASH', 'LIAB', '1.00'), tap.d(3)),
           ledger.post_journal('acme-old', tap.pair('CASH', 'LIAB', '1.00'), tap.d(6), tenant => 'acme'),
           ledger.post_journal('fx-eur', tap.pair('CASH', 'FX-CLEARING-EUR', '100.00')),
           ledger.post_journal('fx-usd', tap.pair('FX-CLEARING-USD', 'USD-CASH', '108.50', 'USD'))
$$, 'Should post journals today, earlier, and through the clearing accounts');

SELECT results_eq($$SELECT tenant, today FROM ledger.monitor_journals_today() ORDER BY tenant$$,
                  $$VALUES ('acme'::text, 0::bigint), ('default', 4), ('quiet', 0)$$,
                  'Should count per tenant the journals effective on its current business date');
SELECT results_eq($$SELECT tenant, since_close FROM ledger.monitor_days_since_close() ORDER BY tenant$$,
                  $$VALUES ('acme'::text, 7), ('default', 4), ('quiet', 1)$$,
                  'Should count a never-closed tenant from the day before its first journal (1 without journals)');
SELECT lives_ok($$SELECT ledger.eod_close(tap.d(1))$$, 'Should close yesterday in tenant default');
SELECT results_eq($$SELECT since_close FROM ledger.monitor_days_since_close() WHERE tenant = 'default'$$,
                  $$VALUES (1)$$,
                  'Should read 1 once yesterday is closed');
SELECT results_eq(
    $$SELECT tenant, ccy, position::text FROM ledger.monitor_fx_clearing() ORDER BY tenant, ccy$$,
    $$VALUES ('default'::text, 'EUR'::text, '100.00'::text), ('default', 'USD', '-108.50')$$,
    'Should answer the clearing accounts'' balances, credit-normal (positive = long), and only those');
SELECT is((SELECT position FROM ledger.monitor_fx_clearing() WHERE ccy = 'EUR'),
          (SELECT balance FROM ledger.get_balance('FX-CLEARING-EUR')),
          'Should read the clearing position as the ledger reads the balance');

-- Reconciliation: one bank line the ledger lacks, one posting the bank lacks (today).
SELECT lives_ok(format($$
    SELECT tap.import('CASH', ARRAY['1|%s|unknown|7.00|EUR|not in the ledger|'], 'monitor.csv'),
           ledger.recon_run('CASH', ledger.business_date())
$$, ledger.business_date()), 'Should reconcile CASH today with exceptions');
SELECT results_eq($$SELECT kind, open_exceptions FROM ledger.monitor_recon_exceptions() ORDER BY kind$$,
                  $$SELECT k, count(o.kind)
                      FROM unnest(ARRAY['amount_mismatch', 'missing_in_bank', 'missing_in_ledger']) AS k
                      LEFT JOIN ledger_private.recon_outcome AS o ON o.kind = k
                     GROUP BY k ORDER BY k$$,
                  'Should count the open exceptions of the reconciliation per kind');
SELECT ok((SELECT sum(open_exceptions) FROM ledger.monitor_recon_exceptions()) >= 2,
          'Should see both the bank line and the postings the other side lacks');

-- A journal written around the triggers (replica mode, as only a superuser can): unbalanced,
-- and one without legs. The gauge exists to notice them.
SET LOCAL session_replication_role = replica;
INSERT INTO ledger_private.journal (journal_id, idempotency_key, effective_date, created_by)
VALUES (ledger_private.uuid_v7(), 'smuggled-unbalanced', current_date, 'test:direct'),
       (ledger_private.uuid_v7(), 'smuggled-empty', current_date, 'test:direct');
INSERT INTO ledger_private.leg (journal_id, leg_no, tenant, account_id, side, amount, ccy, effective_date)
SELECT j.journal_id, 1, 'default', a.account_id, 'debit', 3, 'EUR', current_date
  FROM ledger_private.journal AS j, ledger_private.account AS a
 WHERE j.idempotency_key = 'smuggled-unbalanced' AND a.tenant = 'default' AND a.code = 'CASH';
RESET session_replication_role;
SELECT results_eq($$SELECT journals, window_seconds FROM ledger.monitor_unbalanced_journals()$$,
                  $$VALUES (2::bigint, 900)$$,
                  'Should count the unbalanced journal and the journal without legs, not the balanced ones');

-- As the monitoring role: the functions run, the tables do not.
CREATE TEMP TABLE monitor_call ON COMMIT DROP AS
SELECT format('SELECT * FROM ledger.%I()', f.name) AS call,
       format('Should let doublex_monitor run ledger.%s()', f.name) AS description
  FROM monitor_function AS f ORDER BY f.name;
GRANT SELECT ON monitor_call TO doublex_monitor;
SET LOCAL ROLE doublex_monitor;
SELECT lives_ok(c.call, c.description) FROM monitor_call AS c;
SELECT throws_ok('SELECT count(*) FROM ledger_private.journal', '42501', NULL,
                 'Should refuse doublex_monitor the journal table');
SELECT throws_ok($$SELECT ledger.get_balance('CASH')$$, '42501', NULL,
                 'Should refuse doublex_monitor the API functions');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
