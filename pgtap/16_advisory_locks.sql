-- Advisory locks belong to the ledger (migration 0013): PUBLIC, the application role and the
-- monitoring role can execute none of PostgreSQL's advisory-lock functions in the ledger's
-- database, so no login can hold a tenant's close fence or an idempotency key (their keys
-- are computable). doublex_owner, the role every SECURITY DEFINER function of the ledger runs
-- as, can: posting (idempotency lock, shared close fence) still works through the API. The
-- login roles carry their time limits.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(53);

\ir helpers/fixtures.sql

-- Every variant: session and transaction level, shared and exclusive, try, unlock, both key
-- forms. A PostgreSQL that adds one fails the first test until it is listed here.
CREATE TEMP TABLE advisory (fn regprocedure PRIMARY KEY, call text) ON COMMIT DROP;
INSERT INTO advisory
SELECT p.oid::regprocedure,
       format('SELECT %s(%s)', p.proname,
              CASE p.pronargs WHEN 0 THEN '' WHEN 1 THEN '42' ELSE '42, 7' END)
  FROM pg_proc AS p
 WHERE p.pronamespace = 'pg_catalog'::regnamespace
   AND (p.proname LIKE 'pg\_advisory\_%' OR p.proname LIKE 'pg\_try\_advisory\_%');
GRANT SELECT ON advisory TO PUBLIC;

SELECT set_eq(
    $$SELECT fn::text FROM advisory$$,
    $$VALUES ('pg_advisory_lock(bigint)'), ('pg_advisory_lock(integer,integer)'),
             ('pg_advisory_lock_shared(bigint)'), ('pg_advisory_lock_shared(integer,integer)'),
             ('pg_advisory_unlock(bigint)'), ('pg_advisory_unlock(integer,integer)'),
             ('pg_advisory_unlock_shared(bigint)'), ('pg_advisory_unlock_shared(integer,integer)'),
             ('pg_advisory_unlock_all()'),
             ('pg_advisory_xact_lock(bigint)'), ('pg_advisory_xact_lock(integer,integer)'),
             ('pg_advisory_xact_lock_shared(bigint)'),
             ('pg_advisory_xact_lock_shared(integer,integer)'),
             ('pg_try_advisory_lock(bigint)'), ('pg_try_advisory_lock(integer,integer)'),
             ('pg_try_advisory_lock_shared(bigint)'),
             ('pg_try_advisory_lock_shared(integer,integer)'),
             ('pg_try_advisory_xact_lock(bigint)'), ('pg_try_advisory_xact_lock(integer,integer)'),
             ('pg_try_advisory_xact_lock_shared(bigint)'),
             ('pg_try_advisory_xact_lock_shared(integer,integer)')$$,
    'Should know all 21 advisory-lock functions of pg_catalog');

-- Privileges -------------------------------------------------------------------------------
SELECT is_empty($$SELECT fn FROM advisory AS a JOIN pg_proc AS p ON p.oid = a.fn
                   WHERE p.proacl IS NULL
                      OR EXISTS (SELECT FROM aclexplode(p.proacl) AS x WHERE x.grantee = 0)$$,
                'Should grant PUBLIC no advisory-lock function');
SELECT is_empty($$SELECT fn FROM advisory WHERE has_function_privilege('doublex_app', fn, 'EXECUTE')$$,
                'Should let doublex_app execute no advisory-lock function');
SELECT is_empty($$SELECT fn FROM advisory WHERE has_function_privilege('doublex_monitor', fn, 'EXECUTE')$$,
                'Should let doublex_monitor execute no advisory-lock function');
SELECT is_empty($$SELECT fn FROM advisory WHERE NOT has_function_privilege('doublex_owner', fn, 'EXECUTE')$$,
                'Should let doublex_owner, the definer of the ledger''s functions, execute them all');

-- Each call refused, as each login role ----------------------------------------------------
SET LOCAL ROLE doublex_app;
SELECT throws_ok(a.call, '42501', NULL, format('Should refuse doublex_app %s', a.fn))
  FROM advisory AS a ORDER BY a.fn::text;
RESET ROLE;
SET LOCAL ROLE doublex_monitor;
SELECT throws_ok(a.call, '42501', NULL, format('Should refuse doublex_monitor %s', a.fn))
  FROM advisory AS a ORDER BY a.fn::text;
RESET ROLE;
-- The exact key a close holds: the monitoring role cannot take tenant default's fence.
SELECT format('SELECT pg_advisory_lock(%s)',
              ledger_private.close_fence_key('default', current_date, current_date - 1)) AS fence \gset
SET LOCAL ROLE doublex_monitor;
SELECT throws_ok(:'fence', '42501', NULL,
                 'Should refuse doublex_monitor the close fence of tenant default');
RESET ROLE;

-- The ledger still takes its locks ----------------------------------------------------------
SELECT is(tap.create_accounts('CASH EUR asset', 'LIAB EUR liability'), 2, 'Should open CASH and LIAB');
SELECT tap.pair() AS legs \gset
SET LOCAL ROLE doublex_app;
SELECT is((SELECT status FROM ledger.post_journal('adv-1', :'legs')), 'posted',
          'Should post as doublex_app (idempotency lock and shared close fence as the owner)');
SELECT is((SELECT status FROM ledger.post_journal('adv-1', :'legs')), 'duplicate',
          'Should answer a replay as doublex_app');
RESET ROLE;

-- Time limits on the login roles ------------------------------------------------------------
SELECT is((SELECT array_agg(c ORDER BY c) FROM pg_roles AS r, unnest(r.rolconfig) AS c
            WHERE r.rolname = 'doublex_app' AND c ~ 'timeout'),
          ARRAY['idle_in_transaction_session_timeout=30s', 'lock_timeout=10s', 'statement_timeout=60s'],
          'Should bound doublex_app''s statements, lock waits and idle transactions');
SELECT is((SELECT array_agg(c ORDER BY c) FROM pg_roles AS r, unnest(r.rolconfig) AS c
            WHERE r.rolname = 'doublex_monitor' AND c ~ 'timeout'),
          ARRAY['idle_in_transaction_session_timeout=10s', 'lock_timeout=1s', 'statement_timeout=5s'],
          'Should bound doublex_monitor''s statements, lock waits and idle transactions');

SELECT * FROM finish();
ROLLBACK;
