-- Per-key rate limits (#15): the limit lives in the key's row (requests_per_second, burst),
-- bounded by api_limit (key_rate_max, key_burst_max) with a default for a new key
-- (key_rate_default, burst twice that); ledger.create_api_key takes it, list_api_keys shows
-- it, ledger.set_api_key_rate changes it (admin, audited), and ledger.key_rate answers the
-- calling key's own limit to the REST service, for a valid key only. Every refusal by
-- SQLSTATE: DX046 for a bad rate or burst, DX045 for a key not in the tenant (or revoked),
-- DX040 for key_rate without a valid key.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(42);

\ir helpers/principals.sql

-- Structure ---------------------------------------------------------------------------------
SELECT tap.function_is(f.name, f.args, f.returns, f.lang, f.volatility)
  FROM (VALUES
    ('ledger.key_rate', ARRAY[]::text[], 'TABLE(key_id text, requests_per_second integer, burst integer)', 'plpgsql', 'stable'),
    ('ledger.set_api_key_rate', ARRAY['text', 'integer', 'integer', 'text'], 'ledger.api_key_info', 'plpgsql', 'volatile'),
    ('ledger_private.checked_key_rate', ARRAY['integer', 'integer'], 'integer[]', 'plpgsql', 'immutable'),
    ('ledger_private.active_api_key', ARRAY['text'], 'SETOF ledger_private.api_key', 'sql', 'stable')
       ) AS f (name, args, returns, lang, volatility);
SELECT col_not_null('ledger_private', 'api_key', c, format('Should give every key a %s', c))
  FROM (VALUES ('requests_per_second'), ('burst')) AS c (c);
SELECT col_hasnt_default('ledger_private', 'api_key', c,
                         format('Should make every new key name its %s (no column default)', c))
  FROM (VALUES ('requests_per_second'), ('burst')) AS c (c);
SELECT throws_ok(format($$UPDATE ledger_private.api_key SET %I = 0 WHERE key_id = %L$$, c,
                        (SELECT key_id FROM tap_key WHERE label = 'all')),
                 '23514', NULL, format('Should keep a key''s %s above zero even for the owner (backstop)', c))
  FROM (VALUES ('requests_per_second'), ('burst')) AS c (c);

-- create_api_key: the default, and a limit of the caller's choice --------------------------
SELECT results_eq($$SELECT requests_per_second, burst FROM ledger.create_api_key('plain', ARRAY['read'], tenant => 'ta')$$,
                  $$VALUES (ledger_private.api_limit('key_rate_default'), 2 * ledger_private.api_limit('key_rate_default'))$$,
                  'Should give a key created without a limit the default rate and twice that as burst');
CREATE TEMP TABLE made ON COMMIT DROP AS
    SELECT * FROM ledger.create_api_key('slow', ARRAY['read'], requests_per_second => 3, burst => 5, tenant => 'ta');
SELECT results_eq($$SELECT requests_per_second, burst FROM made$$, $$VALUES (3, 5)$$,
                  'Should create a key with the rate and burst asked for');
SELECT results_eq($$SELECT k.requests_per_second, k.burst FROM ledger.list_api_keys('ta') AS k JOIN made USING (key_id)$$,
                  $$VALUES (3, 5)$$, 'Should list a key with its rate limit');
SELECT results_eq($$SELECT burst FROM ledger.create_api_key('fast', ARRAY['read'], requests_per_second => 9000, tenant => 'ta')$$,
                  $$VALUES (ledger_private.api_limit('key_burst_max'))$$,
                  'Should cap the default burst (twice the rate) at key_burst_max');
SELECT results_eq($$SELECT details->>'requests_per_second', details->>'burst' FROM ledger_private.audit_log
                     WHERE action = 'create_api_key' AND object = (SELECT key_id FROM made)$$,
                  $$VALUES ('3', '5')$$, 'Should record the limit in the audit log of the creation');
SELECT throws_ok(format($$SELECT ledger.create_api_key('x', ARRAY['read'], requests_per_second => %s, tenant => 'ta')$$, r),
                 'DX046', NULL, format('Should refuse a rate of %s (DX046)', r))
  FROM (VALUES ('0'), ('-1'), ((ledger_private.api_limit('key_rate_max') + 1)::text)) AS v (r);
SELECT throws_ok(format($$SELECT ledger.create_api_key('x', ARRAY['read'], burst => %s, tenant => 'ta')$$, b),
                 'DX046', NULL, format('Should refuse a burst of %s (DX046)', b))
  FROM (VALUES ('0'), ((ledger_private.api_limit('key_burst_max') + 1)::text)) AS v (b);
SELECT lives_ok(format($$SELECT ledger.create_api_key('edge', ARRAY['read'], requests_per_second => %s, burst => %s, tenant => 'ta')$$,
                       ledger_private.api_limit('key_rate_max'), ledger_private.api_limit('key_burst_max')),
                'Should take a rate and a burst at their limits');

-- set_api_key_rate: admin, audited, the tenant's active keys only ---------------------------
SELECT results_eq($$SELECT key_id, requests_per_second, burst FROM ledger.set_api_key_rate((SELECT key_id FROM made), 7, 1, 'ta')$$,
                  $$SELECT key_id, 7, 1 FROM made$$, 'Should change a key''s rate and burst, answering the key');
SELECT results_eq($$SELECT k.requests_per_second, k.burst FROM ledger_private.api_key AS k JOIN made USING (key_id)$$,
                  $$VALUES (7, 1)$$, 'Should keep the new limit in the key''s row');
SELECT results_eq($$SELECT actor, details FROM ledger_private.audit_log
                     WHERE action = 'set_api_key_rate' AND object = (SELECT key_id FROM made)$$,
                  $$VALUES ('admin:postgres'::text, '{"requests_per_second": 7, "burst": 1,
                            "was": {"requests_per_second": 3, "burst": 5}}'::jsonb)$$,
                  'Should audit the change with its actor, the new limit and the one before');
SELECT results_eq($$SELECT requests_per_second, burst FROM ledger.set_api_key_rate((SELECT key_id FROM made), tenant => 'ta')$$,
                  $$VALUES (ledger_private.api_limit('key_rate_default'), 2 * ledger_private.api_limit('key_rate_default'))$$,
                  'Should put a key back to the default when the limit is left out');
SELECT throws_ok($$SELECT ledger.set_api_key_rate((SELECT key_id FROM made), 0, 1, 'ta')$$, 'DX046', NULL,
                 'Should refuse a rate of 0 (DX046)');
SELECT throws_ok($$SELECT ledger.set_api_key_rate((SELECT key_id FROM made), 1, 0, 'ta')$$, 'DX046', NULL,
                 'Should refuse a burst of 0 (DX046)');
SELECT throws_ok($$SELECT ledger.set_api_key_rate('dxk_000000000000', 1, 1, 'ta')$$, 'DX045', NULL,
                 'Should refuse an unknown key (DX045)');
SELECT throws_ok($$SELECT ledger.set_api_key_rate(NULL, 1, 1, 'ta')$$, 'DX045', NULL,
                 'Should refuse a NULL key id (DX045)');
SELECT throws_ok(format($$SELECT ledger.set_api_key_rate(%L, 1, 1, 'tb')$$, (SELECT key_id FROM made)),
                 'DX045', NULL, 'Should not find another tenant''s key (DX045)');
SELECT throws_ok(format($$SELECT ledger.set_api_key_rate(%L, 1, 1, 'ta')$$, (SELECT key_id FROM tap_key WHERE label = 'revoked')),
                 'DX045', NULL, 'Should leave a revoked key alone (DX045)');
SELECT is(tap.attempt('doublex_service', (SELECT token FROM made),
                      format($$SELECT ledger.set_api_key_rate(%L, 1000)$$, (SELECT key_id FROM made)), 'doublex_api'),
          'DX041', 'Should let no key without admin raise its own limit (DX041)');
SELECT is(tap.attempt('doublex_service', tap.token('all'),
                      format($$SELECT ledger.set_api_key_rate(%L, 1000)$$, (SELECT key_id FROM made)), 'doublex_api'),
          'ok', 'Should let an admin key of the tenant change a key''s limit');

-- key_rate: the calling key's own limit, for any valid key -----------------------------------
SELECT is(tap.attempt('doublex_service', (SELECT token FROM made), $$SELECT ledger.key_rate()$$, 'doublex_api'),
          'ok', 'Should answer a key holding only read (no capability needed)');
SELECT set_config('doublex.api_key', (SELECT token FROM made), true) IS NOT NULL AS key_set;
SELECT results_eq($$SELECT * FROM ledger.key_rate()$$,
                  $$SELECT key_id, ledger_private.api_limit('key_rate_default'),
                           2 * ledger_private.api_limit('key_rate_default') FROM made$$,
                  'Should answer the calling key''s id, rate and burst');
SELECT set_config('doublex.api_key', '', true) = '' AS key_cleared;
SELECT throws_ok($$SELECT * FROM ledger.key_rate()$$, 'DX040', NULL,
                 'Should refuse a caller without a key, an admin included (DX040)');
SELECT lives_ok(format($$SELECT ledger.revoke_api_key(%L, 'ta')$$, (SELECT key_id FROM made)), 'Should revoke the key');
SELECT set_config('doublex.api_key', (SELECT token FROM made), true) IS NOT NULL AS key_set;
SELECT throws_ok($$SELECT * FROM ledger.key_rate()$$, 'DX040', NULL,
                 'Should refuse a revoked key from the next call on (DX040)');
SELECT set_config('doublex.api_key', '', true) = '' AS key_cleared;

SELECT * FROM finish();
ROLLBACK;
