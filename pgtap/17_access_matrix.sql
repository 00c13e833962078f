-- The access matrix (#14), driven by the catalog: every function of schema ledger is
-- classified below by the capability it needs, and the file fails when the catalog and the
-- classification differ, so a new function cannot forget its check. Each tenant-facing
-- function is then called with NULL arguments (its tenant aside) as:
--   a login of tenant ta naming tenant tb, and a key of ta naming tb   → DX042
--   a login of ta holding every capability but the one needed          → DX041
--   a login of ta holding only that capability (read: or only audit)   → none of DX040–DX042
--   a bogus, malformed, revoked or expired key; an unbound login       → DX040
--   the service login itself (NOINHERIT, no SET ROLE)                  → no EXECUTE (42501),
--                                                                        but housekeeping runs
-- and the owner-only and monitoring functions are executable by none of the API roles.
-- Every call is rolled back (tap.attempt): the bar is 0 cross-tenant reads or writes.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;

-- What each function of schema ledger needs. class: read (read or audit), post, operate,
-- admin, audit: tenant-facing, granted to doublex_api; none: no tenant data, granted to
-- doublex_api; key: the calling key's own settings, any valid key and nothing else (no
-- tenant argument), granted to doublex_api; owner: granted to nobody; monitor:
-- doublex_monitor only. housekeeping: the
-- service login may run it without a key (authorize_housekeeping), granted to it directly.
-- service: the service login's own (no key, no tenant of a caller: the live page's demo
-- tenants), granted to doublex_service alone.
CREATE TEMP TABLE access_class (name text PRIMARY KEY, class text NOT NULL,
                                housekeeping boolean NOT NULL DEFAULT false) ON COMMIT DROP;
INSERT INTO access_class (name, class) VALUES
    ('get_account', 'read'), ('list_accounts', 'read'), ('get_balance', 'read'),
    ('get_journal', 'read'), ('list_journals', 'read'), ('fx_rate', 'read'),
    ('fx_position', 'read'), ('recon_summaries', 'read'), ('recon_items', 'read'),
    ('business_date', 'read'), ('eod_status', 'read'), ('verify_seals', 'read'),
    ('balance_history', 'read'), ('account_statement', 'read'), ('get_tenant', 'read'), ('trial_balance', 'read'),
    ('trial_balance_totals', 'read'),
    ('get_hold', 'read'), ('list_holds', 'read'), ('get_available_balance', 'read'),
    ('list_events', 'read'), ('list_monitors', 'read'),
    ('post_journal', 'post'), ('reverse_journal', 'post'), ('post_journals', 'post'),
    ('post_fx_transfer', 'post'),
    ('create_hold', 'post'), ('capture_hold', 'post'), ('void_hold', 'post'),
    ('reverse_journals', 'post'), ('create_holds', 'post'), ('capture_holds', 'post'),
    ('set_account_limits', 'admin'),
    ('eod_close', 'operate'), ('set_ledger_settings', 'operate'), ('upsert_fx_rate', 'operate'),
    ('stage_statement', 'operate'), ('import_statement', 'operate'), ('recon_run', 'operate'),
    ('set_account_status', 'operate'),
    ('create_account', 'admin'), ('create_api_key', 'admin'), ('list_api_keys', 'admin'),
    ('revoke_api_key', 'admin'), ('set_api_key_rate', 'admin'),
    ('create_webhook', 'admin'), ('list_webhooks', 'admin'), ('delete_webhook', 'admin'),
    ('replay_webhook', 'admin'), ('list_webhook_deliveries', 'admin'),
    ('create_monitor', 'admin'), ('delete_monitor', 'admin'),
    ('list_audit', 'audit'),
    ('health', 'none'), ('api_limits', 'none'), ('client_idempotency_key', 'none'),
    ('key_rate', 'key'),
    ('create_tenant', 'owner'), ('list_tenants', 'owner'), ('bind_sql_login', 'owner'),
    ('unbind_sql_login', 'owner'), ('list_sql_logins', 'owner'),
    ('monitor_days_since_close', 'monitor'), ('monitor_fx_clearing', 'monitor'),
    ('monitor_journals_today', 'monitor'), ('monitor_recon_exceptions', 'monitor'),
    ('monitor_unbalanced_journals', 'monitor'),
    ('create_demo_tenant', 'service'), ('prune_demo_tenants', 'service'),
    ('sweep_expired_holds', 'service'),
    ('sequence_events', 'service'), ('claim_webhook_events', 'service'),
    ('record_webhook_deliveries', 'service'), ('webhook_endpoints', 'service');
INSERT INTO access_class (name, class, housekeeping) VALUES
    ('recon_mismatch_totals', 'read', true), ('roll_up_balances', 'operate', true),
    ('expire_holds', 'operate', true);

-- Per tenant-facing function: three probes with one assertion each, plus the fixed checks.
SELECT plan((SELECT 3 * count(*)::integer + 25 FROM access_class
              WHERE class IN ('read', 'post', 'operate', 'admin', 'audit')));

\ir helpers/principals.sql

-- The catalog and the classification -------------------------------------------------------
SELECT set_eq($$SELECT p.proname::text FROM pg_proc AS p WHERE p.pronamespace = 'ledger'::regnamespace$$,
              $$SELECT name FROM access_class$$,
              'Should classify every function of schema ledger (a new function is added to access_class)');
SELECT is((SELECT count(*)::integer FROM pg_proc WHERE pronamespace = 'ledger'::regnamespace),
          (SELECT count(DISTINCT proname)::integer FROM pg_proc WHERE pronamespace = 'ledger'::regnamespace),
          'Should have one function per name in schema ledger (the matrix calls each by name)');

-- The call of each function with NULL arguments but the tenant (p_tenant; NULL: the
-- caller's own). Only function arguments: a RETURNS TABLE's columns are not arguments.
CREATE FUNCTION pg_temp.call_of(p_name text, p_tenant text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('SELECT * FROM ledger.%I(%s)', p.proname,
                  coalesce(string_agg(CASE WHEN a.name = 'tenant'
                                           THEN coalesce(quote_literal(p_tenant), 'NULL') || '::text'
                                           ELSE 'NULL::' || format_type(a.type, NULL) END,
                                      ', ' ORDER BY a.n), ''))
      FROM pg_proc AS p
      LEFT JOIN LATERAL unnest(p.proargtypes::oid[], p.proargnames) WITH ORDINALITY AS a (type, name, n)
             ON a.type IS NOT NULL
     WHERE p.pronamespace = 'ledger'::regnamespace AND p.proname = p_name
     GROUP BY p.proname
$$;

CREATE TEMP TABLE tenant_facing ON COMMIT DROP AS
    SELECT c.name, c.class, c.housekeeping FROM access_class AS c
     WHERE c.class IN ('read', 'post', 'operate', 'admin', 'audit');
SELECT is((SELECT count(*)::integer FROM tenant_facing AS f
            WHERE pg_temp.call_of(f.name, 'tb') NOT LIKE '%''tb''::text%'),
          0, 'Should find a tenant argument in every tenant-facing function');

-- Every probe of every tenant-facing function: (name, probe, SQLSTATE or ok).
CREATE TEMP TABLE outcome (name text, probe text, state text) ON COMMIT DROP;
INSERT INTO outcome
SELECT f.name, p.probe, tap.attempt(p.login, p.token, pg_temp.call_of(f.name, p.tenant), p.role)
  FROM tenant_facing AS f
 CROSS JOIN LATERAL (VALUES
       ('login of ta naming tb', 'tap_a_all', NULL, 'tb', NULL),
       ('key of ta naming tb', 'doublex_service', tap.token('all'), 'tb', 'doublex_api'),
       ('login without the capability', 'tap_a_without_' || f.class, NULL, NULL, NULL),
       ('login with only the capability', 'tap_a_only_' || f.class, NULL, NULL, NULL),
       ('login with only audit', 'tap_a_only_audit', NULL, NULL, NULL),
       ('key with every capability', 'doublex_service', tap.token('all'), NULL, 'doublex_api'),
       ('bogus key', 'doublex_service', 'dxk_000000000000.' || repeat('0', 64), NULL, 'doublex_api'),
       ('malformed key', 'doublex_service', 'Bearer nonsense', NULL, 'doublex_api'),
       ('revoked key', 'doublex_service', tap.token('revoked'), NULL, 'doublex_api'),
       ('expired key', 'doublex_service', tap.token('expired'), NULL, 'doublex_api'),
       ('secret of another key', 'doublex_service',
        left(tap.token('all'), 17) || substr(tap.token('revoked'), 18), NULL, 'doublex_api'),
       ('unbound login', 'tap_unbound', NULL, NULL, NULL),
       ('service login without a key', 'doublex_service', NULL, 'tb', NULL)
     ) AS p (probe, login, token, tenant, role);

-- Cross-tenant: refused before anything is read -------------------------------------------
SELECT is(o.state, 'DX042', format('%s: Should refuse a login of tenant ta naming tenant tb (DX042)', o.name))
  FROM outcome AS o WHERE o.probe = 'login of ta naming tb' ORDER BY o.name;
SELECT is_empty($$SELECT o.name, o.state FROM outcome AS o
                   WHERE o.probe = 'key of ta naming tb' AND o.state <> 'DX042'$$,
                'Should refuse a key of tenant ta naming tenant tb in every function (DX042)');

-- Capabilities ----------------------------------------------------------------------------
SELECT is(o.state, 'DX041', format('%s: Should refuse a login lacking %s (DX041)', o.name, f.class))
  FROM outcome AS o JOIN tenant_facing AS f USING (name)
 WHERE o.probe = 'login without the capability' ORDER BY o.name;
SELECT ok(o.state NOT IN ('DX040', 'DX041', 'DX042', '42501'),
          format('%s: Should let a login holding only %s in (got %s)', o.name, f.class, o.state))
  FROM outcome AS o JOIN tenant_facing AS f USING (name)
 WHERE o.probe = 'login with only the capability' ORDER BY o.name;
SELECT is_empty($$SELECT o.name, o.state FROM outcome AS o JOIN tenant_facing AS f USING (name)
                   WHERE o.probe = 'login with only audit'
                     AND (o.state IN ('DX040', 'DX041', 'DX042', '42501')) <> (f.class NOT IN ('read', 'audit'))$$,
                'Should let audit read everything of its tenant, and do nothing else');
SELECT is_empty($$SELECT o.name, o.state FROM outcome AS o JOIN tenant_facing AS f USING (name)
                   WHERE o.probe = 'login with only audit' AND f.class NOT IN ('read', 'audit')
                     AND o.state <> 'DX041'$$,
                'Should refuse an audit-only login every write with DX041');
SELECT is_empty($$SELECT o.name, o.state FROM outcome AS o
                   WHERE o.probe = 'key with every capability' AND o.state IN ('DX040', 'DX041', 'DX042', '42501')$$,
                'Should let a valid key of the tenant, through the service''s SET ROLE doublex_api, call every function');

-- Authentication --------------------------------------------------------------------------
SELECT is_empty(format($$SELECT o.name, o.probe, o.state FROM outcome AS o
                          WHERE o.probe = %L AND o.state <> 'DX040'$$, p.probe),
                format('Should refuse every function to a caller with: %s (DX040)', p.probe))
  FROM (VALUES ('bogus key'), ('malformed key'), ('revoked key'), ('expired key'),
               ('secret of another key'), ('unbound login')) AS p (probe);

-- The service login: nothing by itself, housekeeping aside ---------------------------------
SELECT is_empty($$SELECT o.name, o.state FROM outcome AS o JOIN tenant_facing AS f USING (name)
                   WHERE o.probe = 'service login without a key' AND NOT f.housekeeping AND o.state <> '42501'$$,
                'Should give the service login (NOINHERIT) no EXECUTE of its own on the API');
SELECT results_eq($$SELECT o.name, o.state FROM outcome AS o JOIN tenant_facing AS f USING (name)
                     WHERE o.probe = 'service login without a key' AND f.housekeeping ORDER BY o.name$$,
                  $$VALUES ('expire_holds', 'ok'), ('recon_mismatch_totals', 'ok'), ('roll_up_balances', 'DX016')$$,
                  'Should let the service login run the housekeeping for any tenant without a key (roll-up: at READ COMMITTED)');

-- Grants ----------------------------------------------------------------------------------
SELECT is_empty($$
    SELECT c.name, r.role FROM access_class AS c
     CROSS JOIN (VALUES ('doublex_api'), ('doublex_app'), ('doublex_service')) AS r (role)
      JOIN pg_proc AS p ON p.pronamespace = 'ledger'::regnamespace AND p.proname = c.name
     WHERE c.class IN ('owner', 'monitor') AND has_function_privilege(r.role, p.oid, 'EXECUTE')$$,
    'Should let no API role execute the owner-only and monitoring functions');
SELECT is_empty($$
    SELECT c.name FROM access_class AS c
      JOIN pg_proc AS p ON p.pronamespace = 'ledger'::regnamespace AND p.proname = c.name
     WHERE c.class NOT IN ('owner', 'monitor', 'service') AND NOT has_function_privilege('doublex_api', p.oid, 'EXECUTE')$$,
    'Should grant doublex_api EXECUTE on every tenant-facing function and the tenantless ones');
SELECT is_empty($$
    SELECT c.name FROM access_class AS c
      JOIN pg_proc AS p ON p.pronamespace = 'ledger'::regnamespace AND p.proname = c.name
     WHERE has_function_privilege('doublex_monitor', p.oid, 'EXECUTE') <> (c.class = 'monitor')$$,
    'Should grant doublex_monitor exactly the monitoring functions');
SELECT is_empty($$
    SELECT c.name, r.role FROM access_class AS c
     CROSS JOIN (VALUES ('doublex_api'), ('doublex_app'), ('doublex_monitor'), ('public')) AS r (role)
      JOIN pg_proc AS p ON p.pronamespace = 'ledger'::regnamespace AND p.proname = c.name
     WHERE c.class = 'service'
       AND (CASE WHEN r.role = 'public'
                 THEN EXISTS (SELECT FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS x
                               WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE')
                 ELSE has_function_privilege(r.role, p.oid, 'EXECUTE') END)$$,
    'Should let no API, application, monitoring role or PUBLIC execute the service''s own functions');
SELECT is_empty($$
    SELECT c.name FROM access_class AS c
      JOIN pg_proc AS p ON p.pronamespace = 'ledger'::regnamespace AND p.proname = c.name
     WHERE c.class = 'service' AND NOT has_function_privilege('doublex_service', p.oid, 'EXECUTE')$$,
    'Should grant the service login EXECUTE on its own functions (demo tenants)');
SELECT is(tap.attempt('tap_a_all', NULL, pg_temp.call_of(c.name, NULL)), '42501',
          format('%s: Should refuse a bound login the owner-only function', c.name))
  FROM access_class AS c WHERE c.name = 'create_tenant';
SELECT is_empty($$
    SELECT c.name, tap.attempt('tap_unbound', NULL, pg_temp.call_of(c.name, NULL)) AS state
      FROM access_class AS c WHERE c.class = 'none'
    EXCEPT
    SELECT c.name, s.state FROM access_class AS c, (VALUES ('ok'), ('DX019'), ('DX012')) AS s (state)$$,
    'Should let any API caller, bound or not, call the functions that read no tenant data');

-- The calling key's own settings: a valid key, through the service's SET ROLE, and nobody else
SELECT is_empty($$
    SELECT c.name, p.probe, tap.attempt(p.login, p.token, pg_temp.call_of(c.name, NULL), p.role) AS state
      FROM access_class AS c
     CROSS JOIN (VALUES ('key with every capability', 'doublex_service', tap.token('all'), 'doublex_api', 'ok'),
                        ('bogus key', 'doublex_service', 'dxk_000000000000.' || repeat('0', 64), 'doublex_api', 'DX040'),
                        ('malformed key', 'doublex_service', 'Bearer nonsense', 'doublex_api', 'DX040'),
                        ('revoked key', 'doublex_service', tap.token('revoked'), 'doublex_api', 'DX040'),
                        ('expired key', 'doublex_service', tap.token('expired'), 'doublex_api', 'DX040'),
                        ('secret of another key', 'doublex_service',
                         left(tap.token('all'), 17) || substr(tap.token('revoked'), 18), 'doublex_api', 'DX040'),
                        ('bound login', 'tap_a_all', NULL, NULL, 'DX040'),
                        ('unbound login', 'tap_unbound', NULL, NULL, 'DX040'),
                        ('service login without a key', 'doublex_service', NULL, NULL, '42501'))
                 AS p (probe, login, token, role, expected)
     WHERE c.class = 'key'
       AND tap.attempt(p.login, p.token, pg_temp.call_of(c.name, NULL), p.role) <> p.expected$$,
    'Should let any valid key, whatever its capabilities, read its own settings, and no other caller (DX040; the service login itself: 42501)');
SELECT is((SELECT count(*)::integer FROM access_class WHERE class = 'key'), 1,
          'Should have exactly one key-only function (key_rate)');

-- Nothing of tenant tb changed, nothing was kept ------------------------------------------
SELECT results_eq($$SELECT j.tenant, count(*) FROM ledger_private.journal AS j GROUP BY j.tenant ORDER BY 1$$,
                  $$VALUES ('ta'::text, 1::bigint), ('tb', 1)$$,
                  'Should keep exactly the fixtures'' journals: every probe was rolled back');

SELECT * FROM finish();
ROLLBACK;
