-- Who did it (#14): every write path records its actor (journals of every posting path,
-- reversals, FX settlements and their clearing accounts, closes, rates, accounts, keys,
-- tenants, login bindings), admin and operate actions append to the tenant's audit log, the
-- log and the login mapping refuse changes by anyone but the owner, and the log refuses
-- UPDATE, DELETE and TRUNCATE even to the owner (DX017, like history).
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(35);

\ir helpers/principals.sql

-- Writes that stay: a statement (or several) run with a key of ta, as the service runs them
-- (SET ROLE doublex_api), or as a login (session_user), then back to the superuser.
CREATE FUNCTION pg_temp.as_key(p_token text, p_sql text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('doublex.api_key', p_token, true);
    SET LOCAL ROLE doublex_api;
    EXECUTE p_sql;
    RESET ROLE;
    PERFORM set_config('doublex.api_key', '', true);
END
$$;
CREATE FUNCTION pg_temp.as_login(p_login text, p_sql text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SET LOCAL SESSION AUTHORIZATION %I', p_login);
    EXECUTE p_sql;
    SET LOCAL SESSION AUTHORIZATION DEFAULT;
END
$$;
CREATE TEMP TABLE actor ON COMMIT DROP AS
    SELECT 'key:' || key_id AS key, 'login:tap_a_all' AS login FROM tap_key WHERE label = 'all';

-- Every write path, by a key of tenant ta ------------------------------------------------
SELECT lives_ok(format($$SELECT pg_temp.as_key(%L, %L)$$, tap.token('all'), format($s$
    SELECT ledger.create_account('USD-W', 'Dollar wallet', 'USD');
    SELECT ledger.set_account_status('LIAB', 'frozen');
    SELECT ledger.set_account_status('LIAB', 'active');
    SELECT ledger.set_ledger_settings('Europe/Berlin', NULL);
    SELECT ledger.set_ledger_settings('UTC', NULL);
    SELECT ledger.post_journal('k-single', %1$L);
    SELECT ledger.post_journals(jsonb_build_array(jsonb_build_object('idempotency_key', 'k-fast', 'legs', %1$L::jsonb)));
    SELECT ledger.post_journals(jsonb_build_array(jsonb_build_object('idempotency_key', 'k-careful', 'legs', %1$L::jsonb),
                                                  jsonb_build_object('idempotency_key', 'k-bad', 'legs', '[]'::jsonb)));
    SELECT ledger.reverse_journal((SELECT (ledger.post_journal('k-single', %1$L)).journal_id), 'k-reversal');
    SELECT ledger.upsert_fx_rate('EUR', 'USD', 1.1, ledger.business_date());
    SELECT ledger.upsert_fx_rate('EUR', 'USD', 1.2, ledger.business_date());
    SELECT ledger.post_fx_transfer('k-fx', 'CASH', 'USD-W', 1.00);
    SELECT ledger.stage_statement();
    INSERT INTO pg_temp.doublex_statement_staging (line_no, line_date, ref, amount)
    VALUES (1, ledger.business_date()::text, 'R-1', '2.00');
    SELECT ledger.import_statement('CASH', 'bank.csv');
    SELECT ledger.recon_run('CASH', ledger.business_date());
    SELECT ledger.eod_close(ledger.business_date() - 1);
    SELECT ledger.create_api_key('by key', ARRAY['read']);
    $s$, tap.pair('CASH', 'LIAB', '1.00'))),
    'Should run every write path with a key of tenant ta');
SELECT is((SELECT count(*)::integer FROM ledger_private.journal WHERE tenant = 'ta'), 7,
          'Should have written the fixture''s journal, the single, fast, careful, reversal and two FX journals');

SELECT is_empty($$SELECT j.idempotency_key, j.created_by FROM ledger_private.journal AS j, actor
                   WHERE j.tenant = 'ta' AND j.idempotency_key <> 'same-key' AND j.created_by <> actor.key$$,
                'Should sign every journal with the key: single, batch (fast and careful paths), reversal, FX');
SELECT is((SELECT j.created_by FROM ledger_private.journal AS j WHERE j.tenant = 'ta' AND j.kind = 'reversal'),
          (SELECT key FROM actor), 'Should sign the reversal with the key');
SELECT is((SELECT count(*)::integer FROM ledger_private.journal AS j, actor
            WHERE j.tenant = 'ta' AND j.kind = 'fx' AND j.created_by = actor.key), 2,
          'Should sign both FX journals with the key');
SELECT is((SELECT s.created_by FROM ledger_private.fx_settlement AS s WHERE s.tenant = 'ta'),
          (SELECT key FROM actor), 'Should sign the FX settlement with the key');
SELECT is_empty($$SELECT a.code FROM ledger_private.account AS a, actor
                   WHERE a.tenant = 'ta' AND a.code IN ('USD-W', 'FX-CLEARING-EUR', 'FX-CLEARING-USD')
                     AND (a.created_by, a.changed_by) <> (actor.key, actor.key)$$,
                'Should sign the accounts it opened (the clearing accounts of the transfer too)');
SELECT is((SELECT count(*)::integer FROM ledger_private.account WHERE tenant = 'ta' AND code LIKE 'FX-CLEARING-%'), 2,
          'Should have opened both clearing accounts');
SELECT results_eq($$SELECT a.created_by, a.changed_by FROM ledger_private.account AS a WHERE a.tenant = 'ta' AND a.code = 'LIAB'$$,
                  $$SELECT 'admin:postgres'::text, key FROM actor$$,
                  'Should record who changed an account''s status, keeping who created it');
SELECT is((SELECT r.updated_by FROM ledger_private.fx_rate AS r WHERE r.tenant = 'ta'), (SELECT key FROM actor),
          'Should sign the rate (and its replacement) with the key');
SELECT is((SELECT c.closed_by FROM ledger_private.day_close AS c WHERE c.tenant = 'ta'), (SELECT key FROM actor),
          'Should sign the close with the key');
SELECT is((SELECT k.created_by FROM ledger_private.api_key AS k WHERE k.name = 'by key'), (SELECT key FROM actor),
          'Should sign the key it created');

-- The audit log of those actions ------------------------------------------------------------
SELECT results_eq($$SELECT g.action, g.object, g.actor = actor.key FROM ledger_private.audit_log AS g, actor
                     WHERE g.tenant = 'ta' AND g.actor NOT LIKE 'admin:%' ORDER BY g.audit_id$$,
                  $$VALUES ('create_account', 'USD-W', true), ('set_account_status', 'LIAB', true),
                           ('set_account_status', 'LIAB', true), ('set_ledger_settings', NULL, true),
                           ('set_ledger_settings', NULL, true), ('upsert_fx_rate', 'EUR/USD', true),
                           ('upsert_fx_rate', 'EUR/USD', true), ('import_statement', 'CASH', true),
                           ('recon_run', 'CASH', true), ('eod_close', (ledger.business_date() - 1)::text, true),
                           ('create_api_key', (SELECT key_id FROM ledger_private.api_key WHERE name = 'by key'), true)$$,
                  'Should append every admin and operate action to the tenant''s audit log, in order, signed');
SELECT results_eq($$SELECT g.details FROM ledger_private.audit_log AS g
                     WHERE g.tenant = 'ta' AND g.action = 'set_account_status' ORDER BY g.audit_id$$,
                  $$VALUES ('{"from": "active", "to": "frozen"}'::jsonb), ('{"from": "frozen", "to": "active"}')$$,
                  'Should say what changed');
SELECT is_empty($$SELECT g.action FROM ledger_private.audit_log AS g
                   WHERE g.tenant = 'ta' AND g.action IN ('post_journal', 'post_journals', 'reverse_journal',
                                                          'post_fx_transfer', 'stage_statement')$$,
                'Should not log postings (journals are their own record)');
SELECT results_eq($$SELECT g.action, g.object FROM ledger_private.audit_log AS g
                     WHERE g.tenant = 'ta' AND g.actor = 'admin:postgres' ORDER BY g.audit_id LIMIT 4$$,
                  $$VALUES ('create_tenant', 'ta'), ('create_account', 'CASH'), ('create_account', 'LIAB'),
                           ('bind_sql_login', 'tap_a_all')$$,
                  'Should log the tenant''s creation, its admin''s accounts and the first login bound, in order');
SELECT set_eq($$SELECT g.object FROM ledger_private.audit_log AS g WHERE g.tenant = 'ta' AND g.action = 'bind_sql_login'$$,
              $$SELECT l.login FROM ledger_private.sql_login AS l WHERE l.tenant = 'ta'$$,
              'Should log every login bound to the tenant');
SELECT is((SELECT count(*)::integer FROM ledger_private.audit_log
            WHERE tenant = 'ta' AND action IN ('create_api_key', 'revoke_api_key') AND actor = 'admin:postgres'), 4,
          'Should log the fixture''s three keys and the revocation');

-- Through a login, and an admin named by the CLI -------------------------------------------
SELECT lives_ok($$SELECT pg_temp.as_login('tap_a_all', 'SELECT ledger.upsert_fx_rate(''EUR'', ''GBP'', 0.9, ledger.business_date())')$$,
                'Should set a rate as a bound login');
SELECT is((SELECT r.updated_by FROM ledger_private.fx_rate AS r WHERE r.tenant = 'ta' AND r.quote = 'GBP'),
          'login:tap_a_all', 'Should sign a login''s rate with login:<name>');
SELECT is((SELECT g.actor FROM ledger_private.audit_log AS g WHERE g.tenant = 'ta' ORDER BY g.audit_id DESC LIMIT 1),
          'login:tap_a_all', 'Should log the login''s action signed with its name');
SELECT set_config('doublex.actor', 'alice', true);
SELECT lives_ok($$SELECT ledger.set_account_status('USD-W', 'frozen', 'ta')$$, 'Should freeze an account as an admin');
SELECT set_config('doublex.actor', '', true);
SELECT is((SELECT a.changed_by FROM ledger_private.account AS a WHERE a.tenant = 'ta' AND a.code = 'USD-W'),
          'admin:alice', 'Should sign an admin''s change with the person the CLI names');

-- list_audit: the audit capability, its tenant only, in pages -------------------------------
CREATE FUNCTION pg_temp.audit_as(p_login text, p_after bigint, p_size integer) RETURNS SETOF ledger.audit_entry
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SET LOCAL SESSION AUTHORIZATION %I', p_login);
    RETURN QUERY SELECT * FROM ledger.list_audit(p_after, p_size);
    SET LOCAL SESSION AUTHORIZATION DEFAULT;
END
$$;
SELECT results_eq($$SELECT audit_id FROM pg_temp.audit_as('tap_a_only_audit', NULL, 1000)$$,
                  $$SELECT audit_id FROM ledger_private.audit_log WHERE tenant = 'ta' ORDER BY audit_id$$,
                  'Should list the whole audit log of the tenant to an audit login, oldest first');
SELECT results_eq($$SELECT audit_id FROM pg_temp.audit_as('tap_a_only_audit',
                                                           (SELECT min(audit_id) FROM ledger_private.audit_log WHERE tenant = 'ta'), 2)$$,
                  $$SELECT audit_id FROM ledger_private.audit_log WHERE tenant = 'ta' ORDER BY audit_id OFFSET 1 LIMIT 2$$,
                  'Should page after an audit id');
SELECT is(tap.attempt('tap_a_without_audit', NULL, 'SELECT ledger.list_audit()'), 'DX041',
          'Should refuse the audit log to a login without audit, even an admin (DX041)');
SELECT is(tap.attempt('tap_a_only_audit', NULL, $$SELECT ledger.list_audit(tenant => 'tb')$$), 'DX042',
          'Should refuse another tenant''s audit log (DX042)');
SELECT throws_ok($$SELECT ledger.list_audit(page_size => 0, tenant => 'ta')$$, 'DX019', NULL,
                 'Should refuse a page size out of range (DX019)');

-- Append-only, and only the owner changes the mapping -------------------------------------
SELECT throws_ok($$UPDATE ledger_private.audit_log SET actor = 'nobody'$$, 'DX017', NULL,
                 'Should refuse to UPDATE the audit log, even the owner (DX017)');
SELECT throws_ok($$DELETE FROM ledger_private.audit_log$$, 'DX017', NULL,
                 'Should refuse to DELETE from the audit log, even the owner (DX017)');
SELECT throws_ok($$TRUNCATE ledger_private.audit_log$$, 'DX017', NULL,
                 'Should refuse to TRUNCATE the audit log, even the owner (DX017)');
SELECT results_eq($$SELECT tap.attempt(r.login, NULL, s.sql, r.role)
                      FROM (VALUES ('doublex_app', NULL), ('tap_a_all', NULL), ('doublex_service', NULL),
                                   ('doublex_service', 'doublex_api')) AS r (login, role),
                           (VALUES ('INSERT INTO ledger_private.audit_log (tenant, actor, action) VALUES (''ta'', ''x'', ''x'')'),
                                   ('DELETE FROM ledger_private.audit_log'),
                                   ('INSERT INTO ledger_private.sql_login (login, tenant, capabilities, bound_by) VALUES (''x'', ''ta'', ''{read}'', ''x'')'),
                                   ('UPDATE ledger_private.sql_login SET tenant = ''tb'''),
                                   ('DELETE FROM ledger_private.sql_login'),
                                   ('SELECT ledger.bind_sql_login(''tap_unbound'', ''{admin}'', ''tb'')'),
                                   ('SELECT ledger.unbind_sql_login(''doublex_app'')'),
                                   ('UPDATE ledger_private.api_key SET revoked_at = NULL, revoked_by = NULL')) AS s (sql)$$,
                  $$SELECT '42501'::text FROM generate_series(1, 32)$$,
                  'Should refuse every change of the audit log, the login mapping and the keys to anyone but the owner');

-- No actor column is empty, none has a default ------------------------------------------------
SELECT is_empty($$SELECT c.table_name, c.column_name FROM information_schema.columns AS c
                   WHERE c.table_schema = 'ledger_private'
                     AND (c.table_name, c.column_name) IN (('journal', 'created_by'), ('fx_settlement', 'created_by'),
                          ('day_close', 'closed_by'), ('fx_rate', 'updated_by'), ('account', 'created_by'),
                          ('account', 'changed_by'), ('api_key', 'created_by'), ('tenant', 'created_by'),
                          ('sql_login', 'bound_by'), ('audit_log', 'actor'))
                     AND (c.is_nullable = 'YES' OR c.column_default IS NOT NULL)$$,
                'Should make every actor column NOT NULL without a default: each write names its actor');
SELECT is_empty($$SELECT 'journal' FROM ledger_private.journal WHERE created_by !~ '^(key:dxk_|login:|admin:|service$|test:)'
                  UNION ALL SELECT 'settlement' FROM ledger_private.fx_settlement WHERE created_by !~ '^(key:dxk_|login:|admin:)'
                  UNION ALL SELECT 'close' FROM ledger_private.day_close WHERE closed_by !~ '^(key:dxk_|login:|admin:)'
                  UNION ALL SELECT 'rate' FROM ledger_private.fx_rate WHERE updated_by !~ '^(key:dxk_|login:|admin:)'
                  UNION ALL SELECT 'account' FROM ledger_private.account
                             WHERE created_by !~ '^(key:dxk_|login:|admin:|test:)' OR changed_by !~ '^(key:dxk_|login:|admin:|test:)'
                  UNION ALL SELECT 'audit' FROM ledger_private.audit_log WHERE actor !~ '^(key:dxk_|login:|admin:)'$$,
                'Should name a key, a login or an admin as the actor of every row written here');
SELECT throws_ok($$UPDATE ledger_private.account SET created_by = 'someone else' WHERE code = 'CASH'$$, 'DX017', NULL,
                 'Should keep who created an account (DX017)');

SELECT * FROM finish();
ROLLBACK;
