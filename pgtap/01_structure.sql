-- Structure of the DoubleX database: schemas, roles, the API functions' signatures,
-- SECURITY DEFINER with a pinned search_path, ownership and privileges, the tables and the
-- currency seed.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(553);

-- Schemas ---------------------------------------------------------------------------------
SELECT has_schema('ledger', 'Should have the ledger API schema');
SELECT has_schema('ledger_private', 'Should have the ledger_private schema for tables and helpers');

-- Roles -----------------------------------------------------------------------------------
SELECT has_role('doublex_owner', 'Should have the doublex_owner role');
SELECT is((SELECT rolcanlogin FROM pg_roles WHERE rolname = 'doublex_owner'), false,
          'Should create doublex_owner as NOLOGIN');
SELECT has_role('doublex_app', 'Should have the doublex_app role');
SELECT is((SELECT rolcanlogin FROM pg_roles WHERE rolname = 'doublex_app'), true,
          'Should create doublex_app as LOGIN');
SELECT has_role('doublex_api', 'Should have the doublex_api role');
SELECT is((SELECT rolcanlogin FROM pg_roles WHERE rolname = 'doublex_api'), false,
          'Should create doublex_api as NOLOGIN');
SELECT has_role('doublex_service', 'Should have the doublex_service role');
SELECT is((SELECT (rolcanlogin, rolinherit) FROM pg_roles WHERE rolname = 'doublex_service'), (true, false),
          'Should create doublex_service as LOGIN NOINHERIT');
SELECT ok(pg_has_role('doublex_app', 'doublex_api', 'USAGE') AND pg_has_role('doublex_service', 'doublex_api', 'MEMBER')
          AND NOT pg_has_role('doublex_service', 'doublex_api', 'USAGE'),
          'Should make doublex_app (inheriting) and doublex_service (not inheriting) members of doublex_api');

-- The public API: one row per function -----------------------------------------------------
-- grantee: who EXECUTEs it (doublex_api: the tenant-facing API; doublex_service: the
-- service login's own; NULL: the owner only).
CREATE TEMP TABLE api_function (name text, args text[], returns text, grantee text DEFAULT 'doublex_api')
    ON COMMIT DROP;
INSERT INTO api_function (name, args, returns) VALUES
    ('create_account',     ARRAY['text', 'text', 'text', 'text', 'boolean', 'jsonb', 'text'],
                           'ledger.account_info'),
    ('get_account',        ARRAY['text', 'text'], 'ledger.account_info'),
    ('list_accounts',      ARRAY['text', 'integer', 'text'], 'setof ledger.account_info'),
    ('set_account_status', ARRAY['text', 'text', 'text'], 'ledger.account_info'),
    ('post_journal',       ARRAY['text', 'jsonb', 'date', 'text', 'text', 'jsonb', 'jsonb', 'text'],
                           'ledger.posting_result'),
    ('post_journals',      ARRAY['jsonb', 'text'], 'setof ledger.batch_item_result'),
    ('reverse_journals',   ARRAY['jsonb', 'text'], 'setof ledger.batch_item_result'),
    ('client_idempotency_key', ARRAY['text', 'text'], 'text'),
    ('reverse_journal',    ARRAY['uuid', 'text', 'text', 'text'], 'ledger.posting_result'),
    ('get_balance',        ARRAY['text', 'date', 'text'], 'ledger.balance'),
    ('get_journal',        ARRAY['uuid', 'text'], 'ledger.journal_entry'),
    ('list_journals',      ARRAY['date', 'date', 'text', 'text', 'integer', 'text'],
                           'setof ledger.journal_entry'),
    ('roll_up_balances',   ARRAY['text'], 'ledger.roll_up_result'),
    ('health',             ARRAY[]::text[], 'ledger.health_report'),
    ('upsert_fx_rate',     ARRAY['text', 'text', 'numeric', 'date', 'text', 'text'], 'ledger.fx_quote'),
    ('fx_rate',            ARRAY['text', 'text', 'date', 'text'], 'ledger.fx_quote'),
    ('post_fx_transfer',   ARRAY['text', 'text', 'text', 'numeric', 'text', 'numeric', 'date', 'text',
                                 'text', 'text'], 'ledger.fx_settlement_result'),
    ('fx_position',        ARRAY['date', 'text', 'text'], 'setof ledger.fx_position_line'),
    ('stage_statement',    ARRAY['text'], 'text'),
    ('import_statement',   ARRAY['text', 'text', 'text', 'text'], 'ledger.statement_import_result'),
    ('recon_run',          ARRAY['text', 'date', 'numeric', 'text'], 'ledger.recon_summary'),
    ('recon_summaries',    ARRAY['date', 'text', 'text'], 'setof ledger.recon_summary'),
    ('recon_items',        ARRAY['date', 'text', 'boolean', 'text', 'integer', 'text'], 'setof record'),
    ('recon_mismatch_totals', ARRAY['text'], 'setof ledger.recon_mismatch_total'),
    ('business_date',      ARRAY['timestamp with time zone', 'text'], 'date'),
    ('set_ledger_settings', ARRAY['text', 'time without time zone', 'text'], 'ledger.eod_status'),
    ('eod_close',          ARRAY['date', 'text'], 'ledger.day_close'),
    ('eod_status',         ARRAY['text'], 'ledger.eod_status'),
    ('balance_history',    ARRAY['text', 'date', 'date', 'text'], 'setof ledger.balance_history_entry'),
    ('account_statement',  ARRAY['text', 'date', 'date', 'text', 'integer', 'text'], 'setof record'),
    ('verify_seals',       ARRAY['text'], 'setof ledger.seal_problem'),
    ('api_limits',         ARRAY[]::text[], 'setof record'),
    ('get_tenant',         ARRAY['text'], 'ledger.tenant_info'),
    ('create_api_key',     ARRAY['text', 'text[]', 'timestamp with time zone', 'integer', 'integer', 'text'],
                           'ledger.new_api_key'),
    ('list_api_keys',      ARRAY['text'], 'setof ledger.api_key_info'),
    ('revoke_api_key',     ARRAY['text', 'text'], 'ledger.api_key_info'),
    ('set_api_key_rate',   ARRAY['text', 'integer', 'integer', 'text'], 'ledger.api_key_info'),
    ('key_rate',           ARRAY[]::text[], 'setof record'),
    ('list_audit',         ARRAY['bigint', 'integer', 'text'], 'setof ledger.audit_entry'),
    ('trial_balance',      ARRAY['date', 'text', 'integer', 'text'], 'setof ledger.trial_balance_line'),
    ('trial_balance_totals', ARRAY['date', 'text'], 'setof ledger.trial_balance_total'),
    ('create_hold',        ARRAY['text', 'jsonb', 'timestamp with time zone', 'text', 'text', 'jsonb', 'jsonb', 'text'],
                           'ledger.hold_result'),
    ('capture_hold',       ARRAY['uuid', 'text', 'jsonb', 'date', 'jsonb', 'text'], 'ledger.hold_resolution_result'),
    ('void_hold',          ARRAY['uuid', 'text', 'text'], 'ledger.hold_resolution_result'),
    ('create_holds',       ARRAY['jsonb', 'text'], 'setof record'),
    ('capture_holds',      ARRAY['jsonb', 'text'], 'setof record'),
    ('get_hold',           ARRAY['uuid', 'text'], 'ledger.hold_info'),
    ('list_holds',         ARRAY['text', 'text', 'uuid', 'integer', 'text'], 'setof ledger.hold_info'),
    ('expire_holds',       ARRAY['text'], 'integer'),
    ('set_account_limits', ARRAY['text', 'numeric', 'numeric', 'text'], 'ledger.available_balance'),
    ('get_available_balance', ARRAY['text', 'text'], 'ledger.available_balance'),
    ('list_events',        ARRAY['bigint', 'text[]', 'integer', 'text'], 'setof ledger.event_info'),
    ('create_webhook',     ARRAY['text', 'text[]', 'text', 'text'], 'ledger.new_webhook'),
    ('list_webhooks',      ARRAY['text'], 'setof ledger.webhook_info'),
    ('delete_webhook',     ARRAY['text', 'text'], 'ledger.webhook_info'),
    ('replay_webhook',     ARRAY['text', 'bigint', 'text'], 'ledger.webhook_info'),
    ('list_webhook_deliveries', ARRAY['text', 'text', 'bigint', 'integer', 'text'],
                           'setof ledger.webhook_delivery_info'),
    ('create_monitor',     ARRAY['text', 'text', 'text', 'text', 'numeric', 'text'], 'ledger.monitor_info'),
    ('list_monitors',      ARRAY['text'], 'setof ledger.monitor_info'),
    ('delete_monitor',     ARRAY['uuid', 'text'], 'ledger.monitor_info');
INSERT INTO api_function (name, args, returns, grantee) VALUES
    ('create_tenant',      ARRAY['text'], 'ledger.tenant_info', NULL),
    ('list_tenants',       ARRAY[]::text[], 'setof ledger.tenant_info', NULL),
    ('bind_sql_login',     ARRAY['text', 'text[]', 'text'], 'ledger.sql_login_info', NULL),
    ('unbind_sql_login',   ARRAY['text'], 'boolean', NULL),
    ('list_sql_logins',    ARRAY['text'], 'setof ledger.sql_login_info', NULL),
    -- The service login's own (the live page's demo tenants), called without a key.
    ('create_demo_tenant', ARRAY['inet'], 'ledger.demo_tenant', 'doublex_service'),
    ('prune_demo_tenants', ARRAY['interval'], 'integer', 'doublex_service'),
    -- The service's periodic expiry sweep over every tenant.
    ('sweep_expired_holds', ARRAY[]::text[], 'setof record', 'doublex_service'),
    -- The event sequencer, run by the service in the background.
    ('sequence_events',    ARRAY[]::text[], 'ledger.sequencing_result', 'doublex_service'),
    -- The webhook delivery worker, run by the service in the background.
    ('claim_webhook_events', ARRAY['text', 'integer', 'double precision'],
                           'setof ledger.webhook_claim', 'doublex_service'),
    ('record_webhook_deliveries',
                           ARRAY['text', 'uuid', 'bigint[]', 'uuid[]', 'integer[]', 'text[]', 'integer[]',
                                 'double precision', 'double precision', 'double precision'],
                           'ledger.webhook_record_result', 'doublex_service'),
    ('webhook_endpoints',  ARRAY[]::text[], 'setof ledger.webhook_endpoint', 'doublex_service');

-- (The monitoring functions, ledger.monitor_*, are listed in 13_monitoring.sql.)
SELECT is((SELECT count(*)::integer FROM pg_proc
            WHERE pronamespace = 'ledger'::regnamespace AND proname NOT LIKE 'monitor\_%'),
          (SELECT count(*)::integer FROM api_function),
          'Should have exactly the API functions listed here in schema ledger');

SELECT has_function('ledger', f.name, f.args,
                    format('Should have function ledger.%s(%s)', f.name, array_to_string(f.args, ', ')))
  FROM api_function AS f ORDER BY f.name;

SELECT function_returns('ledger', f.name, f.args, f.returns,
                        format('Should have ledger.%s return %s', f.name, f.returns))
  FROM api_function AS f ORDER BY f.name;

SELECT is_definer('ledger', f.name, f.args,
                  format('Should have ledger.%s be SECURITY DEFINER', f.name))
  FROM api_function AS f ORDER BY f.name;

SELECT ok(EXISTS (SELECT FROM pg_proc AS p, unnest(p.proconfig) AS setting
                   WHERE p.oid = format('ledger.%I(%s)', f.name, array_to_string(f.args, ','))::regprocedure
                     AND setting ~ '^search_path=.*\mpg_temp$'),
          format('Should have ledger.%s pin a search_path ending in pg_temp', f.name))
  FROM api_function AS f ORDER BY f.name;

SELECT function_owner_is('ledger', f.name, f.args, 'doublex_owner',
                         format('Should have ledger.%s owned by doublex_owner', f.name))
  FROM api_function AS f ORDER BY f.name;

SELECT function_privs_are('ledger', f.name, f.args, 'doublex_app',
                          CASE WHEN f.grantee IS DISTINCT FROM 'doublex_api' THEN ARRAY[]::text[] ELSE ARRAY['EXECUTE'] END,
                          format('Should grant doublex_app %s on ledger.%s (through doublex_api)',
                                 CASE WHEN f.grantee IS DISTINCT FROM 'doublex_api' THEN 'no EXECUTE' ELSE 'EXECUTE' END, f.name))
  FROM api_function AS f ORDER BY f.name;

SELECT function_privs_are('ledger', f.name, f.args, 'doublex_api',
                          CASE WHEN f.grantee IS DISTINCT FROM 'doublex_api' THEN ARRAY[]::text[] ELSE ARRAY['EXECUTE'] END,
                          format('Should grant doublex_api %s on ledger.%s',
                                 CASE WHEN f.grantee IS DISTINCT FROM 'doublex_api' THEN 'no EXECUTE' ELSE 'EXECUTE' END, f.name))
  FROM api_function AS f ORDER BY f.name;

-- Privileges ------------------------------------------------------------------------------
SELECT is_empty($$
    SELECT p.oid::regprocedure
      FROM pg_proc AS p
     CROSS JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS acl
     WHERE p.pronamespace IN ('ledger'::regnamespace, 'ledger_private'::regnamespace)
       AND acl.grantee = 0 AND acl.privilege_type = 'EXECUTE'
$$, 'Should grant PUBLIC no EXECUTE on any function in ledger or ledger_private');

SELECT is_empty($$
    SELECT p.oid::regprocedure
      FROM pg_proc AS p
     WHERE p.pronamespace = 'ledger_private'::regnamespace
       AND has_function_privilege('doublex_app', p.oid, 'EXECUTE')
$$, 'Should grant doublex_app no EXECUTE on the private helpers');

SELECT is_empty($$
    SELECT c.oid::regclass, priv.name
      FROM pg_class AS c
     CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE',
                             'REFERENCES', 'TRIGGER']) AS priv (name)
     WHERE c.relnamespace = 'ledger_private'::regnamespace
       AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
       AND has_table_privilege('doublex_app', c.oid, priv.name)
$$, 'Should grant doublex_app no privilege on any table in ledger_private');

SELECT ok(NOT has_schema_privilege('doublex_app', 'ledger_private', 'USAGE'),
          'Should grant doublex_app no USAGE on schema ledger_private');

SELECT ok(EXISTS (SELECT FROM pg_db_role_setting AS s
                   WHERE s.setrole = 'doublex_app'::regrole AND s.setdatabase = 0
                     AND 'default_transaction_isolation=serializable' = ANY (s.setconfig)),
          'Should make SERIALIZABLE the default isolation of doublex_app');

-- Tables ----------------------------------------------------------------------------------
SELECT has_table('ledger_private', t.name, format('Should have table ledger_private.%s', t.name))
  FROM unnest(ARRAY['currency', 'account', 'journal', 'leg', 'idempotency_sentinel',
                    'balance_checkpoint', 'balance_watermark', 'fx_rate', 'fx_settlement',
                    'statement_import', 'statement_line', 'recon_run', 'recon_outcome',
                    'ledger_settings', 'day_close', 'account_snapshot', 'trial_balance',
                    'tenant', 'api_key', 'sql_login', 'audit_log', 'event', 'webhook',
                    'webhook_delivery', 'monitor', 'monitor_state'])
       AS t (name);

-- Currencies ------------------------------------------------------------------------------
SELECT is((SELECT c.exponent::integer FROM ledger_private.currency AS c WHERE c.code = x.code),
          x.exponent, format('Should seed %s with exponent %s', x.code, x.exponent))
  FROM (VALUES ('EUR', 2), ('JPY', 0), ('BHD', 3), ('USD', 2), ('KWD', 3), ('CLF', 4))
       AS x (code, exponent);

SELECT * FROM finish();
ROLLBACK;
