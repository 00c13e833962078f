-- The shard's write fence of a tenant (`doublex shards move`, issue #20):
-- ledger_private.enter_tenant_writes, which every write function passes after authorize,
-- and ledger_private.fence_tenant_writes, the mover's side. The mover is another session
-- here (dblink back into this database): a backend never conflicts with its own locks.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(30);
\ir helpers/fixtures.sql

CREATE EXTENSION dblink;
SELECT ledger.create_tenant(t) FROM unnest(ARRAY['tf', 'tg']) AS t;

-- The lock of a tenant's writes held by this session, in a mode.
CREATE FUNCTION tap.holds_writes_lock(p_tenant text, p_mode text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT FROM pg_locks AS l
                    WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() AND l.granted
                      AND l.classid::bigint = hashtext('doublex.tenant_writes')::bigint & 4294967295
                      AND l.objid::bigint = hashtext(p_tenant)::bigint & 4294967295 AND l.objsubid = 2
                      AND l.mode = p_mode)
$$;
-- The mover's session: raise or lift a fence, with a short lock_timeout.
CREATE FUNCTION tap.mover(p_tenant text, p_fenced boolean) RETURNS boolean
LANGUAGE sql AS $$
    SELECT t.done FROM dblink('mover', format('SELECT ledger_private.fence_tenant_writes(%L, %L)',
                                              p_tenant, p_fenced)) AS t (done boolean)
$$;
SELECT dblink_connect('mover', format('host=%s port=%s dbname=%s user=%s',
                                      split_part(current_setting('unix_socket_directories'), ',', 1),
                                      current_setting('port'), current_database(), current_user));
SELECT dblink_exec('mover', 'SET lock_timeout = ''2s''');

SELECT tap.function_is('ledger_private.enter_tenant_writes', ARRAY['text'], 'void', 'plpgsql', 'volatile');
SELECT tap.function_is('ledger_private.fence_tenant_writes', ARRAY['text', 'boolean'], 'boolean', 'plpgsql', 'volatile');

-- Entering: the lock shared, to the end of the transaction -------------------------------
SELECT lives_ok($$SELECT ledger_private.enter_tenant_writes('tg')$$, 'Should let writes of an unfenced tenant in');
SELECT ok(tap.holds_writes_lock('tg', 'ShareLock'), 'Should hold the tenant''s write lock shared once in');
SELECT ok(NOT tap.holds_writes_lock('tf', 'ShareLock'), 'Should hold no other tenant''s lock');

-- Fenced: every write refused at once, reads answer, other tenants write -----------------
CREATE TEMP TABLE before_fence ON COMMIT DROP AS SELECT tap.row_counts() AS counts;
SELECT is(tap.mover('tf', true), true, 'Should raise the fence of a tenant nobody writes at once');
SELECT throws_ok($$SELECT ledger_private.enter_tenant_writes('tf')$$, 'DX067',
                 'tenant: tf is moving to another shard; its writes are paused',
                 'Should refuse a fenced tenant''s writes (DX067)');
SELECT is(tap.detail_of($$SELECT ledger_private.enter_tenant_writes('tf')$$),
          'This shard''s write fence of the tenant is held by the move.',
          'Should say where the fence is');
SELECT throws_ok($$SELECT ledger.post_journal('k1', tap.pair('1.00'), tenant => 'tf')$$, 'DX067',
                 NULL, 'Should refuse post_journal of a fenced tenant (it authorizes itself)');
SELECT throws_ok($$SELECT ledger.post_fx_transfer('k2', 'A', 'B', '1.00', 'source', tenant => 'tf')$$, 'DX067',
                 NULL, 'Should refuse post_fx_transfer of a fenced tenant (it authorizes itself)');
SELECT throws_ok($$SELECT ledger.eod_close(tap.d(1), tenant => 'tf')$$, 'DX067',
                 NULL, 'Should refuse eod_close of a fenced tenant (it authorizes itself)');
SELECT throws_ok($$SELECT ledger.create_account('CASH', 'Cash', 'EUR', 'asset', tenant => 'tf')$$, 'DX067',
                 NULL, 'Should refuse a write that opens with authorize_write');
SELECT throws_ok($$SELECT ledger.post_journals('[{"idempotency_key": "b1"}]', tenant => 'tf')$$, 'DX067',
                 NULL, 'Should refuse a batch of a fenced tenant');
SELECT throws_ok($$SELECT ledger.create_hold('h1', tap.pair('1.00'), tenant => 'tf')$$, 'DX067',
                 NULL, 'Should refuse a hold of a fenced tenant');
SELECT lives_ok($$SELECT ledger.list_accounts(tenant => 'tf')$$, 'Should let a fenced tenant''s reads answer');
SELECT lives_ok($$SELECT ledger.get_tenant('tf')$$, 'Should let a fenced tenant''s reads answer (tenant)');
SELECT lives_ok($$SELECT ledger_private.enter_tenant_writes('tg')$$, 'Should let another tenant write');
SELECT is(tap.row_counts(), (SELECT counts FROM before_fence), 'Should have written nothing while fenced');

-- Every function of schema ledger taking a tenant, called with NULL arguments but the
-- fenced tenant: the VOLATILE ones are refused, save creating a tenant and the
-- housekeeping that only derives state (the target derives it again); none that reads is.
-- (bind_sql_login refuses NULL capabilities before it looks at the tenant: called right
-- below.)
CREATE FUNCTION tap.state_of(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE p_sql;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END
$$;
CREATE TEMP TABLE under_fence ON COMMIT DROP AS
SELECT p.proname::text AS name, p.provolatile = 'v' AS writes,
       tap.state_of(format('SELECT * FROM ledger.%I(%s)', p.proname,
                           (SELECT string_agg(CASE WHEN a.name = 'tenant' THEN '''tf''::text'
                                                   ELSE 'NULL::' || format_type(a.type, NULL) END,
                                              ', ' ORDER BY a.n)
                              FROM unnest(p.proargtypes::oid[], p.proargnames) WITH ORDINALITY AS a (type, name, n)
                             WHERE a.type IS NOT NULL))) AS state
  FROM pg_proc AS p
 WHERE p.pronamespace = 'ledger'::regnamespace
   AND pg_get_function_identity_arguments(p.oid) ~ '(^|, )tenant text';
SELECT cmp_ok((SELECT count(*)::integer FROM under_fence WHERE writes), '>=', 25,
              'Should call every write function that takes a tenant');
SELECT set_eq($$SELECT name FROM under_fence WHERE writes AND state <> 'DX067'$$,
              ARRAY['bind_sql_login', 'create_tenant', 'expire_holds', 'roll_up_balances'],
              'Should refuse every write of a fenced tenant but creating one and the housekeeping (DX067)');
SELECT is_empty($$SELECT name, state FROM under_fence WHERE NOT writes AND state = 'DX067'$$,
                'Should let every read of a fenced tenant answer');
CREATE ROLE tap_fenced_login NOLOGIN;
SELECT throws_ok($$SELECT ledger.bind_sql_login('tap_fenced_login', ARRAY['read'], 'tf')$$, 'DX067',
                 NULL, 'Should refuse binding a login to a fenced tenant (the move refuses bound tenants)');

-- Lifting ---------------------------------------------------------------------------------
SELECT is(tap.mover('tf', false), true, 'Should lift the fence it holds');
SELECT is(tap.mover('tf', false), false, 'Should say so when it held no fence');
SELECT lives_ok($$SELECT ledger_private.enter_tenant_writes('tf')$$, 'Should let writes in once lifted');

-- Raising waits for the writes that got in ------------------------------------------------
SELECT throws_ok($$SELECT tap.mover('tg', true)$$, '55P03', NULL,
                 'Should wait for a transaction that entered the tenant''s writes (here: past lock_timeout)');
SELECT is(tap.mover('tg', false), false, 'Should hold no fence after the wait gave up');
SELECT is((SELECT count(*)::integer FROM pg_locks AS l
            WHERE l.locktype = 'advisory' AND l.classid::bigint = hashtext('doublex.tenant_writes')::bigint & 4294967295
              AND l.mode = 'ExclusiveLock'),
          0, 'Should leave no fence behind');

SELECT dblink_disconnect('mover');
SELECT * FROM finish();
ROLLBACK;
