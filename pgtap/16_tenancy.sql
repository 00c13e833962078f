-- Tenants, API keys, SQL logins and the roles of #14: ledger.create_tenant / list_tenants /
-- get_tenant; keys (created with a token shown once, only its secret's SHA-256 kept, listed
-- without secrets, revoked, expired); what a key and a login see (their own tenant only,
-- even with the same account codes and idempotency keys as another); the principal
-- resolution (authorize, PL/pgSQL, its admin branch and doublex.actor); the service role
-- that can do nothing by itself.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(68);

\ir helpers/principals.sql

-- authorize: the resolution every API function starts with ---------------------------------
SELECT tap.function_is(f.name, f.args, f.returns, f.lang, f.volatility)
  FROM (VALUES
    ('ledger_private.authorize',       ARRAY['text', 'text'], 'ledger_private.principal', 'plpgsql', 'stable'),
    ('ledger_private.authorize_write', ARRAY['text', 'text'], 'ledger_private.principal', 'plpgsql', 'volatile'),
    ('ledger_private.authorize_housekeeping', ARRAY['text', 'text'], 'ledger_private.principal', 'plpgsql', 'stable')
       ) AS f (name, args, returns, lang, volatility);
SELECT is(ledger_private.authorize('admin', 'ta'), ROW('ta', 'admin:postgres')::ledger_private.principal,
          'Should take an admin (superuser) at its word on the tenant, signed admin:<login>');
SELECT set_config('doublex.actor', 'alice', true);
SELECT is((ledger_private.authorize('read', 'tb')).actor, 'admin:alice',
          'Should sign an admin''s actions with doublex.actor when the CLI sets it');
SELECT set_config('doublex.actor', '', true);
SELECT throws_ok($$SELECT ledger_private.authorize('read', 'nowhere')$$, 'DX043',
                 'tenant: nowhere does not exist', 'Should refuse an admin a tenant that does not exist (DX043)');
SELECT throws_ok($$SELECT ledger_private.authorize('read', 'no/where')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant before anything else (DX019)');
SELECT is(tap.attempt('tap_a_only_read', NULL, $$SELECT ledger_private.authorize('read', NULL)$$),
          '42501', 'Should let no caller run authorize itself (private)');
SELECT is(tap.attempt('doublex_app', NULL, $$SELECT ledger.get_tenant()$$), 'ok',
          'Should bind doublex_app to default with every capability (single-book SQL callers)');
SELECT results_eq($$SELECT login, tenant, capabilities FROM ledger.list_sql_logins('default')$$,
                  $$VALUES ('doublex_app'::text, 'default'::text, ARRAY['read', 'post', 'operate', 'admin', 'audit'])$$,
                  'Should list doublex_app''s binding');

-- Tenants ---------------------------------------------------------------------------------
SELECT results_eq($$SELECT name, accounts, created_by FROM ledger.create_tenant('tc')$$,
                  $$VALUES ('tc'::text, 0::bigint, 'admin:postgres'::text)$$,
                  'Should create a tenant, signed by the admin');
SELECT is((SELECT created_at FROM ledger.create_tenant('tc')), (SELECT created_at FROM ledger.get_tenant('tc')),
          'Should answer an existing tenant unchanged when it is created again');
SELECT throws_ok($$SELECT ledger.create_tenant('bad tenant')$$, 'DX019', NULL,
                 'Should refuse a malformed tenant name (DX019)');
SELECT throws_ok($$SELECT ledger.create_tenant(NULL)$$, 'DX019', NULL, 'Should refuse a NULL tenant name (DX019)');
SELECT results_eq($$SELECT name FROM ledger.list_tenants()$$,
                  $$VALUES ('default'::text), ('ta'), ('tb'), ('tc')$$,
                  'Should list every tenant by name, default first (it exists after migrate)');
SELECT results_eq($$SELECT name, accounts, active_keys FROM ledger.get_tenant('ta')$$,
                  $$VALUES ('ta'::text, 2::bigint, 1::bigint)$$,
                  'Should count a tenant''s accounts and its active keys (not the revoked or expired)');
SELECT is(tap.attempt('tap_a_only_audit', NULL, $$SELECT ledger.get_tenant()$$), 'ok',
          'Should let an audit login read its tenant');
SELECT throws_ok($$INSERT INTO ledger_private.account (tenant, code, name, ccy, created_by, changed_by)
                   VALUES ('nowhere', 'X', 'X', 'EUR', 'test', 'test')$$, '23503', NULL,
                 'Should keep every account in an existing tenant (foreign key)');

-- Keys: created, shown once, stored as a hash ----------------------------------------------
CREATE TEMP TABLE made ON COMMIT DROP AS
    SELECT * FROM ledger.create_api_key('  payments  ', ARRAY['post', 'read', 'post'], tenant => 'ta');
SELECT ok((SELECT token ~ '^dxk_[0-9a-f]{12}\.[0-9a-f]{64}$' AND left(token, 16) = key_id FROM made),
          'Should answer a token dxk_<12 hex>.<64 hex> whose prefix is the key id');
SELECT results_eq($$SELECT name, capabilities, expires_at, created_by FROM made$$,
                  $$VALUES ('payments'::text, ARRAY['read', 'post'], NULL::timestamptz, 'admin:postgres'::text)$$,
                  'Should trim the name and keep the capabilities once each, in canonical order');
SELECT is((SELECT k.secret_hash FROM ledger_private.api_key AS k JOIN made USING (key_id)),
          (SELECT sha256(convert_to(substr(token, 18), 'UTF8')) FROM made),
          'Should store the SHA-256 of the secret');
SELECT is_empty($$SELECT a.attname FROM pg_attribute AS a
                   WHERE a.attrelid = 'ledger_private.api_key'::regclass AND a.attnum > 0
                     AND a.attname NOT IN ('key_id', 'tenant', 'name', 'capabilities', 'secret_hash',
                                           'expires_at', 'created_at', 'created_by', 'revoked_at', 'revoked_by',
                                           'requests_per_second', 'burst')$$,
                'Should keep no other column of a key (no secret, no token)');
SELECT is_empty($$SELECT 1 FROM ledger_private.api_key AS k, made AS m
                   WHERE position(substr(m.token, 18) IN row_to_json(k)::text) > 0$$,
                'Should keep the secret nowhere in the key''s row');
SELECT is_empty($$SELECT 1 FROM ledger.list_api_keys('ta') AS k, made AS m
                   WHERE position(substr(m.token, 18) IN row_to_json(k)::text) > 0
                      OR row_to_json(k)::text LIKE '%secret%' OR row_to_json(k)::text LIKE '%token%'$$,
                'Should never list a secret, a hash or a token');
SELECT results_eq($$SELECT name, revoked_at IS NULL FROM ledger.list_api_keys('ta') ORDER BY name$$,
                  $$VALUES ('payments'::text, true), ('tap all', true), ('tap expired', true), ('tap revoked', false)$$,
                  'Should list the tenant''s keys, revoked ones marked');
SELECT is_empty($$SELECT * FROM ledger.list_api_keys('tb')$$, 'Should list no key of another tenant');
SELECT is((SELECT count(*)::integer FROM ledger.list_api_keys('ta')),
          (SELECT count(*)::integer FROM ledger_private.api_key WHERE tenant = 'ta'),
          'Should list every key of the tenant');
SELECT throws_ok($$SELECT ledger.create_api_key('x', ARRAY['read', 'write'], tenant => 'ta')$$, 'DX044', NULL,
                 'Should refuse an unknown capability (DX044)');
SELECT throws_ok($$SELECT ledger.create_api_key('x', ARRAY[]::text[], tenant => 'ta')$$, 'DX044', NULL,
                 'Should refuse an empty capability list (DX044)');
SELECT throws_ok($$SELECT ledger.create_api_key('x', NULL, tenant => 'ta')$$, 'DX044', NULL,
                 'Should refuse a NULL capability list (DX044)');
SELECT throws_ok($$SELECT ledger.create_api_key('x', ARRAY['read', NULL], tenant => 'ta')$$, 'DX044', NULL,
                 'Should refuse a NULL capability (DX044)');
SELECT throws_ok($$SELECT ledger.create_api_key('  ', ARRAY['read'], tenant => 'ta')$$, 'DX044', NULL,
                 'Should refuse a blank key name (DX044)');
SELECT throws_ok($$SELECT ledger.create_api_key('x', ARRAY['read'], now() - interval '1 minute', tenant => 'ta')$$,
                 'DX044', NULL, 'Should refuse an expiry in the past (DX044)');
SELECT is(tap.attempt('doublex_service', (SELECT token FROM made),
                      $$SELECT ledger.create_api_key('mine', ARRAY['admin'])$$, 'doublex_api'),
          'DX041', 'Should let only an admin key create keys (DX041)');
SELECT is(tap.attempt('doublex_service', tap.token('all'),
                      $$SELECT ledger.create_api_key('mine', ARRAY['read'])$$, 'doublex_api'),
          'ok', 'Should let an admin key create a key of its own tenant');

-- What a key sees: its tenant only, same codes and keys as another -------------------------
-- (pg_temp.as_key runs a statement as the service does: SET ROLE doublex_api with the key.)
CREATE FUNCTION pg_temp.as_key(p_token text, p_sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_answer text;
BEGIN
    PERFORM set_config('doublex.api_key', p_token, true);
    SET LOCAL ROLE doublex_api;
    EXECUTE p_sql INTO v_answer;
    RESET ROLE;
    PERFORM set_config('doublex.api_key', '', true);
    RETURN v_answer;
END
$$;
SELECT is(pg_temp.as_key(tap.token('all'), $$SELECT string_agg(j.journal_id::text, ',') FROM ledger.list_journals() AS j$$),
          (SELECT journal_id::text FROM ledger_private.journal WHERE tenant = 'ta'),
          'Should list only the key''s tenant''s journals');
SELECT is(pg_temp.as_key(tap.token('all'),
                         format('SELECT (ledger.post_journal(%L, %L)).journal_id::text', 'same-key', tap.pair('CASH', 'LIAB', '5.00'))),
          (SELECT journal_id::text FROM ledger_private.journal WHERE tenant = 'ta'),
          'Should answer a replay of the same idempotency key with the key''s tenant''s journal');
SELECT throws_ok(format($$SELECT pg_temp.as_key(%L, %L)$$, tap.token('all'),
                        format('SELECT (ledger.get_journal(%L)).journal_id::text',
                               (SELECT journal_id FROM ledger_private.journal WHERE tenant = 'tb'))),
                 'DX013', NULL, 'Should not find another tenant''s journal by its id (DX013)');
SELECT is(pg_temp.as_key(tap.token('all'), $$SELECT (ledger.get_balance('CASH')).balance::text$$), '5.00',
          'Should read the balance of the key''s tenant''s account of that code');
SELECT is(pg_temp.as_key(tap.token('all'),
                         format('SELECT (ledger.post_journal(%L, %L)).status', 'k-2', tap.pair('CASH', 'LIAB', '1.00'))),
          'posted', 'Should post in the key''s tenant');
SELECT results_eq($$SELECT a.tenant, (ledger.get_balance(a.code, NULL, a.tenant)).balance
                      FROM ledger_private.account AS a WHERE a.code = 'CASH' AND a.tenant IN ('ta', 'tb') ORDER BY 1$$,
                  $$VALUES ('ta'::text, 6.00::numeric), ('tb', 5.00)$$,
                  'Should move only the key''s tenant''s money');
SELECT is((SELECT created_by FROM ledger_private.journal WHERE tenant = 'ta' AND idempotency_key = 'k-2'),
          'key:' || (SELECT key_id FROM tap_key WHERE label = 'all'), 'Should sign the journal with the key id');

-- Revocation and expiry ------------------------------------------------------------------
SELECT results_eq($$SELECT revoked_by, revoked_at IS NOT NULL FROM ledger.revoke_api_key((SELECT key_id FROM made), 'ta')$$,
                  $$VALUES ('admin:postgres'::text, true)$$, 'Should revoke a key, signed');
SELECT is(tap.attempt('doublex_service', (SELECT token FROM made), $$SELECT ledger.get_tenant()$$, 'doublex_api'),
          'DX040', 'Should refuse a revoked key from the next call on (DX040)');
SELECT is((SELECT revoked_at FROM ledger.revoke_api_key((SELECT key_id FROM made), 'ta')),
          (SELECT revoked_at FROM ledger_private.api_key JOIN made USING (key_id)),
          'Should answer a revoked key unchanged when it is revoked again');
SELECT throws_ok($$SELECT ledger.revoke_api_key('dxk_000000000000', 'ta')$$, 'DX045', NULL,
                 'Should refuse to revoke an unknown key (DX045)');
SELECT throws_ok(format($$SELECT ledger.revoke_api_key(%L, 'tb')$$, (SELECT key_id FROM tap_key WHERE label = 'all')),
                 'DX045', NULL, 'Should not find another tenant''s key to revoke (DX045)');
SELECT is(tap.attempt('doublex_service', tap.token('expired'), $$SELECT ledger.get_tenant()$$, 'doublex_api'),
          'DX040', 'Should refuse an expired key (DX040)');
SELECT throws_ok($$UPDATE ledger_private.api_key SET revoked_at = NULL, revoked_by = 'x'$$, '23514', NULL,
                 'Should keep a revocation whole (when and by whom)');

-- SQL logins -----------------------------------------------------------------------------
SELECT results_eq($$SELECT login, tenant, capabilities, bound_by FROM ledger.bind_sql_login('tap_unbound', ARRAY['read'], 'tb')$$,
                  $$VALUES ('tap_unbound'::text, 'tb'::text, ARRAY['read'], 'admin:postgres'::text)$$,
                  'Should bind a login to a tenant and capabilities');
SELECT is(tap.attempt('tap_unbound', NULL, $$SELECT ledger.list_accounts(tenant => 'tb')$$), 'ok',
          'Should let the bound login read its tenant');
SELECT is(tap.attempt('tap_unbound', NULL, $$SELECT ledger.list_accounts(tenant => 'ta')$$), 'DX042',
          'Should refuse the bound login another tenant (DX042)');
SELECT ok(ledger.unbind_sql_login('tap_unbound'), 'Should unbind a login');
SELECT ok(NOT ledger.unbind_sql_login('tap_unbound'), 'Should answer false when there is no binding');
SELECT is(tap.attempt('tap_unbound', NULL, $$SELECT ledger.list_accounts()$$), 'DX040',
          'Should refuse an unbound login from the next call on (DX040)');
SELECT throws_ok($$SELECT ledger.bind_sql_login('no_such_role_here', ARRAY['read'], 'ta')$$, 'DX044', NULL,
                 'Should refuse to bind a role that does not exist (DX044)');
SELECT throws_ok($$SELECT ledger.bind_sql_login('tap_unbound', ARRAY['read'], 'nowhere')$$, 'DX043', NULL,
                 'Should refuse to bind a login to an unknown tenant (DX043)');
SELECT throws_ok($$SELECT ledger.bind_sql_login('tap_unbound', ARRAY['superuser'], 'ta')$$, 'DX044', NULL,
                 'Should refuse an unknown capability (DX044)');
SELECT throws_ok($$SELECT ledger.bind_sql_login('doublex_service', ARRAY['read'], 'ta')$$, 'DX044', NULL,
                 'Should never bind the service''s login (its calls without a key would act as that tenant)');

-- The roles: the service can do nothing by itself ----------------------------------------
SELECT is_empty($$SELECT n.nspname FROM pg_namespace AS n
                   WHERE (has_schema_privilege('doublex_service', n.oid, 'CREATE')
                          OR has_schema_privilege('doublex_api', n.oid, 'CREATE'))
                     AND n.oid <> pg_my_temp_schema()$$,
                'Should let neither doublex_service nor doublex_api create in any schema (a session''s temp schema aside)');
SELECT ok(NOT has_database_privilege('doublex_service', current_database(), 'CREATE')
          AND NOT has_database_privilege('doublex_api', current_database(), 'CREATE'),
          'Should let neither create a schema');
SELECT is_empty($$SELECT c.oid::regclass FROM pg_class AS c
                   CROSS JOIN (VALUES ('doublex_service'), ('doublex_api')) AS r (role)
                   WHERE c.relnamespace = 'ledger_private'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
                     AND (has_table_privilege(r.role, c.oid, 'SELECT') OR has_table_privilege(r.role, c.oid, 'INSERT')
                          OR has_table_privilege(r.role, c.oid, 'UPDATE') OR has_table_privilege(r.role, c.oid, 'DELETE'))$$,
                'Should give doublex_service and doublex_api no privilege on any private table');
SELECT results_eq($$SELECT tap.attempt(r.login, NULL, s.sql, r.role)
                      FROM (VALUES ('doublex_service', NULL), ('doublex_service', 'doublex_api')) AS r (login, role),
                           (VALUES ('SELECT count(*) FROM ledger_private.api_key'),
                                   ('ALTER TABLE ledger_private.journal DISABLE TRIGGER ALL'),
                                   ('CREATE TABLE ledger.smuggled (n integer)'),
                                   ('CREATE TABLE public.smuggled (n integer)'),
                                   ('SET session_replication_role = replica'),
                                   ('CREATE SCHEMA smuggled')) AS s (sql)$$,
                  $$SELECT '42501'::text FROM generate_series(1, 12)$$,
                  'Should refuse the service (and as doublex_api) reading private tables, disabling triggers, DDL and replica mode');
SELECT ok(NOT pg_has_role('doublex_service', 'doublex_owner', 'MEMBER')
          AND NOT pg_has_role('doublex_api', 'doublex_owner', 'MEMBER')
          AND NOT pg_has_role('doublex_app', 'doublex_owner', 'MEMBER'),
          'Should make no API role a member of the owner');
SELECT is((SELECT array_agg(x ORDER BY x) FROM pg_db_role_setting AS s, unnest(s.setconfig) AS x
            WHERE s.setrole = 'doublex_service'::regrole AND s.setdatabase = 0),
          ARRAY['default_transaction_isolation=serializable', 'idle_in_transaction_session_timeout=60s',
                'lock_timeout=5s', 'log_parameter_max_length=0', 'search_path=ledger', 'statement_timeout=30s'],
          'Should bound the service''s statements, locks and idle transactions, SERIALIZABLE by default, '
          'and log none of its bind parameters (the request''s key)');

SELECT * FROM finish();
ROLLBACK;
