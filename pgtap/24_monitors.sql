-- Balance monitors (issue #18): ledger.create_monitor, list_monitors, delete_monitor (each
-- error by SQLSTATE), and the evaluation in the transaction of each change: one
-- monitor.triggered when the condition becomes true, one monitor.resolved when it stops,
-- nothing in between; postings, holds, captures, voids and the expiry sweep move
-- `available`, only postings `posted`; a monitor of a type covers its accounts; tenants
-- stay apart; a tenant without monitors queues no watch trigger.
-- The file is one transaction: tap.fire() runs the deferred watch triggers where a commit
-- would (SET CONSTRAINTS ALL IMMEDIATE); tap.alerts() reads the monitor events this
-- transaction queued (PgQ) since the last tap.alerts_seen(). Concurrency and Hypothesis
-- sequences with real transactions: tests/test_monitors.py.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(62);
\ir helpers/fixtures.sql

CREATE FUNCTION tap.fire() RETURNS void
LANGUAGE plpgsql AS $$ BEGIN SET CONSTRAINTS ALL IMMEDIATE; SET CONSTRAINTS ALL DEFERRED; END $$;
CREATE TEMP TABLE alert_mark (ev_id bigint NOT NULL) ON COMMIT DROP;
INSERT INTO alert_mark VALUES (0);
-- The monitor events queued since the mark, as 'type account value' lines in queue order.
CREATE FUNCTION tap.alerts() RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(format('%s %s %s', split_part(e.ev_type, '.', 2),
                                     e.ev_data::jsonb ->> 'account', e.ev_data::jsonb ->> 'value')
                              ORDER BY e.ev_id), '{}')
      FROM pgq.event_template AS e
     WHERE e.ev_txid = txid_current() AND e.ev_type LIKE 'monitor.%'
       AND e.ev_id > (SELECT m.ev_id FROM alert_mark AS m)
$$;
CREATE FUNCTION tap.alerts_seen() RETURNS void
LANGUAGE sql AS $$
    UPDATE alert_mark SET ev_id = coalesce((SELECT max(e.ev_id) FROM pgq.event_template AS e
                                             WHERE e.ev_txid = txid_current()), 0)
$$;
-- What happened since the mark, after the commit-time triggers ran; then a new mark.
CREATE FUNCTION tap.after_commit() RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
    v text[];
BEGIN
    PERFORM tap.fire();
    v := tap.alerts();
    PERFORM tap.alerts_seen();
    RETURN v;
END
$$;
CREATE FUNCTION tap.mid(p_field text, p_condition text, p_threshold numeric) RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT m.monitor_id FROM ledger_private.monitor AS m
     WHERE m.field = p_field AND m.condition = p_condition AND m.threshold = p_threshold
$$;

SELECT tap.create_accounts('CASH EUR asset', 'WALLET EUR liability', 'SHOP EUR liability', 'FEES EUR income');
SELECT ledger.post_journal('seed', tap.pair('CASH', 'WALLET', '100.00'));

-- A tenant without monitors ------------------------------------------------------------------
SELECT ok((SELECT bool_and(pg_get_triggerdef(t.oid) LIKE '%WHEN (ledger_private.tenant_has_monitors(new.tenant))%')
             FROM pg_trigger AS t WHERE t.tgname LIKE '%monitor_watch'),
          'Should watch only the rows of a tenant with monitors (the triggers'' WHEN)');
SELECT is((SELECT count(*)::integer FROM pg_trigger AS t
            WHERE t.tgname IN ('leg_monitor_watch', 'hold_leg_monitor_watch', 'hold_resolution_monitor_watch')
              AND t.tgdeferrable AND t.tginitdeferred), 3,
          'Should watch legs, hold legs and hold resolutions at commit');
SELECT is(ledger_private.tenant_has_monitors('default'), false, 'Should see no monitor in a new tenant');
SELECT is(tap.after_commit(), '{}', 'Should fire nothing without monitors');

-- create_monitor -----------------------------------------------------------------------------
SELECT is((SELECT concat_ws('|', account, account_type, field, condition, threshold, triggered, created_by)
             FROM ledger.create_monitor(account => 'WALLET', field => 'available', condition => '<',
                                        threshold => 50)),
          'WALLET|available|<|50|{}|admin:' || session_user,
          'create_monitor: Should answer the monitor, not triggered when the condition does not hold');
SELECT is(tap.after_commit(), '{}', 'create_monitor: Should fire nothing when the condition does not hold');
SELECT is((SELECT triggered FROM ledger.create_monitor(account => 'SHOP', field => 'posted', condition => '<=',
                                                       threshold => 0)),
          '{SHOP}', 'create_monitor: Should answer an account where the condition holds now as triggered');
SELECT is(tap.after_commit(), '{"triggered SHOP 0.00"}',
          'create_monitor: Should fire monitor.triggered at once for a condition that holds');
SELECT is((SELECT action || ' ' || (details ->> 'field') FROM ledger_private.audit_log
            ORDER BY audit_id DESC LIMIT 1), 'create_monitor posted',
          'create_monitor: Should record an audit line');
SELECT ok(ledger_private.tenant_has_monitors('default'), 'Should see the tenant''s monitors');

-- Errors ---------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT ledger.create_monitor(field => 'posted', condition => '<', threshold => 1)$$,
                 'DX063', NULL, 'create_monitor: Should refuse neither account nor account_type (DX063)');
SELECT throws_ok($$SELECT ledger.create_monitor('CASH', 'asset', 'posted', '<', 1)$$,
                 'DX063', NULL, 'create_monitor: Should refuse both account and account_type (DX063)');
SELECT throws_ok($$SELECT ledger.create_monitor(account_type => 'assets', field => 'posted', condition => '<', threshold => 1)$$,
                 'DX063', 'account_type: must be asset, liability, equity, income or expense, got assets',
                 'create_monitor: Should refuse an unknown account_type, naming it (DX063)');
SELECT throws_ok($$SELECT ledger.create_monitor('CASH', field => 'pending', condition => '<', threshold => 1)$$,
                 'DX063', 'field: must be available or posted, got pending',
                 'create_monitor: Should refuse an unknown field (DX063)');
SELECT throws_ok($$SELECT ledger.create_monitor('CASH', condition => '<', threshold => 1)$$,
                 'DX063', 'field: must be available or posted, got NULL',
                 'create_monitor: Should refuse a missing field (DX063)');
SELECT throws_ok($$SELECT ledger.create_monitor('CASH', field => 'posted', condition => '=', threshold => 1)$$,
                 'DX063', 'condition: must be <, <=, > or >=, got =',
                 'create_monitor: Should refuse an unknown condition (DX063)');
SELECT throws_ok($$SELECT ledger.create_monitor('CASH', field => 'posted', condition => '<')$$,
                 'DX063', 'threshold: must be a number below 10^20 in magnitude, got NULL',
                 'create_monitor: Should refuse a missing threshold (DX063)');
SELECT throws_ok($$SELECT ledger.create_monitor('CASH', field => 'posted', condition => '<', threshold => 'NaN')$$,
                 'DX063', NULL, 'create_monitor: Should refuse a NaN threshold (DX063)');
SELECT throws_ok($$SELECT ledger.create_monitor('CASH', field => 'posted', condition => '<', threshold => '-Infinity')$$,
                 'DX063', NULL, 'create_monitor: Should refuse an infinite threshold (DX063)');
SELECT throws_ok($$SELECT ledger.create_monitor('CASH', field => 'posted', condition => '<', threshold => 1e20)$$,
                 'DX063', NULL, 'create_monitor: Should refuse a threshold of 10^20 (DX063)');
SELECT lives_ok($$SELECT ledger.create_monitor('CASH', field => 'posted', condition => '<', threshold => -99999999999999999999)$$,
                'create_monitor: Should take a threshold just below 10^20 in magnitude');
SELECT throws_ok($$SELECT ledger.create_monitor('NOPE', field => 'posted', condition => '<', threshold => 1)$$,
                 'DX020', 'account: no account NOPE in tenant default',
                 'create_monitor: Should refuse an unknown account (DX020)');
SELECT throws_ok($$SELECT ledger.delete_monitor('00000000-0000-0000-0000-000000000000')$$,
                 'DX064', NULL, 'delete_monitor: Should refuse an unknown monitor (DX064)');
SELECT throws_ok($$SELECT ledger.delete_monitor(NULL)$$,
                 'DX064', 'monitor_id: no balance monitor NULL in tenant default',
                 'delete_monitor: Should refuse a NULL id (DX064)');
SAVEPOINT crowded;
INSERT INTO ledger_private.monitor (monitor_id, tenant, account_type, field, condition, threshold, created_by)
SELECT gen_random_uuid(), 'default', 'expense', 'posted', '>', n, 'tap'
  FROM generate_series(1, ledger_private.api_limit('monitors_max') - 3) AS n;
SELECT throws_ok($$SELECT ledger.create_monitor('CASH', field => 'posted', condition => '>', threshold => 1)$$,
                 'DX065', NULL, 'create_monitor: Should refuse a tenant''s monitor past monitors_max (DX065)');
ROLLBACK TO SAVEPOINT crowded;
SELECT ledger.delete_monitor(tap.mid('posted', '<', -99999999999999999999));
SELECT tap.alerts_seen();

-- Crossings: exactly once each way -----------------------------------------------------------
-- WALLET (liability): available < 50; it holds 100.00.
SELECT ledger.post_journal('p1', tap.pair('WALLET', 'SHOP', '30.00'));
SELECT is(tap.after_commit(), '{"resolved SHOP 30.00"}', 'Should not fire above the threshold (70.00)');
SELECT ledger.post_journal('p2', tap.pair('WALLET', 'SHOP', '25.00'));
SELECT is(tap.after_commit(), '{"triggered WALLET 45.00"}', 'Should fire monitor.triggered when it crosses (45.00)');
SELECT ledger.post_journal('p3', tap.pair('WALLET', 'SHOP', '5.00'));
SELECT is(tap.after_commit(), '{}', 'Should not fire again while the condition holds (40.00)');
SELECT ledger.post_journal('p4', tap.pair('SHOP', 'WALLET', '10.00'));
SELECT is(tap.after_commit(), '{"resolved WALLET 50.00"}', 'Should fire monitor.resolved when it stops holding (50.00, not < 50)');
SELECT ledger.post_journal('p5', tap.pair('SHOP', 'WALLET', '10.00'));
SELECT is(tap.after_commit(), '{}', 'Should not resolve twice (60.00)');
SELECT ledger.post_journal('p6', '[{"account":"WALLET","side":"debit","amount":"6.00","ccy":"EUR"},
                                  {"account":"WALLET","side":"debit","amount":"6.00","ccy":"EUR"},
                                  {"account":"SHOP","side":"credit","amount":"12.00","ccy":"EUR"}]');
SELECT is(tap.after_commit(), '{"triggered WALLET 48.00"}', 'Should fire once for a journal with two legs on the account');
SELECT ledger.post_journal('p7', tap.pair('SHOP', 'WALLET', '5.00'));
SELECT ledger.post_journal('p8', tap.pair('WALLET', 'SHOP', '5.00'));
SELECT is(tap.after_commit(), '{}', 'Should see the state at commit: out and back in one transaction fires nothing');
SELECT is((SELECT array_agg(q) FROM (SELECT e.ev_data::jsonb - 'monitor_id' AS q FROM pgq.event_template AS e
                                      WHERE e.ev_txid = txid_current() AND e.ev_type = 'monitor.triggered'
                                        AND e.ev_data::jsonb ->> 'value' = '48.00') AS x),
          ARRAY['{"account": "WALLET", "ccy": "EUR", "field": "available", "condition": "<", "threshold": "50", "value": "48.00"}'::jsonb],
          'monitor.triggered: Should carry the account, currency, field, condition, threshold and value as strings');
SELECT is((SELECT e.ev_extra3 FROM pgq.event_template AS e
            WHERE e.ev_txid = txid_current() AND e.ev_type = 'monitor.triggered' ORDER BY e.ev_id DESC LIMIT 1),
          'admin:' || session_user, 'Should name the actor of the change');
SELECT is((SELECT e.ev_extra2 FROM pgq.event_template AS e
            WHERE e.ev_txid = txid_current() AND e.ev_type = 'monitor.triggered' ORDER BY e.ev_id DESC LIMIT 1),
          'default', 'Should queue the event under the tenant');
SELECT is((SELECT triggered FROM ledger.list_monitors() WHERE account = 'WALLET'), '{WALLET}',
          'list_monitors: Should show where a monitor is triggered');
SELECT ledger.post_journal('p9', tap.pair('SHOP', 'WALLET', '2.00'));
SELECT is(tap.after_commit(), '{"resolved WALLET 50.00"}', 'Should resolve again (50.00)');

-- Holds move available, not posted ------------------------------------------------------------
SELECT ledger.create_monitor('WALLET', field => 'posted', condition => '<', threshold => 50);
SELECT is(tap.after_commit(), '{}', 'A posted monitor above the threshold: nothing');
SELECT ledger.create_hold('hv', tap.pair('WALLET', 'SHOP', '1.00'));
SELECT is(tap.after_commit(), '{"triggered WALLET 49.00"}', 'create_hold: Should move available (49.00), not posted');
SELECT ledger.void_hold((SELECT hold_id FROM ledger_private.hold WHERE idempotency_key = 'hv'), 'v1');
SELECT is(tap.after_commit(), '{"resolved WALLET 50.00"}', 'void_hold: Should release it (50.00)');
SELECT ledger.create_hold('hc', tap.pair('WALLET', 'SHOP', '3.00'));
SELECT is(tap.after_commit(), '{"triggered WALLET 47.00"}', 'create_hold: Should fire on available');
SELECT ledger.capture_hold((SELECT hold_id FROM ledger_private.hold WHERE idempotency_key = 'hc'), 'c1', '["1.00", "1.00"]');
SELECT is(tap.after_commit(), '{"triggered WALLET 49.00"}',
          'capture_hold: Should post 1.00 (posted 49.00 fires) and release the rest (available stays 49.00)');
SELECT ledger.create_hold('hx', tap.pair('WALLET', 'SHOP', '0.50'), expires_at => clock_timestamp() + interval '1 s');
SELECT is(tap.after_commit(), '{}', 'An available of 48.50 still holds');
SELECT ledger.post_journal('p10', tap.pair('SHOP', 'WALLET', '1.00'));
SELECT is(tap.after_commit(), '{"resolved WALLET 50.00"}', 'Should resolve posted at 50.00; available 49.50 still holds');
SELECT pg_sleep(1.1);
SELECT is(ledger.expire_holds(), 1, 'The sweep marks the expired hold');
SELECT is(tap.after_commit(), '{"resolved WALLET 50.00"}', 'expire_holds: Should resolve available when it marks the hold (50.00)');

-- A monitor of a type ----------------------------------------------------------------------------
SELECT is((SELECT triggered FROM ledger.create_monitor(account_type => 'income', field => 'available',
                                                       condition => '>=', threshold => 2.5)),
          '{}', 'create_monitor: Should take an account_type');
SELECT tap.create_accounts('TIPS EUR income');
SELECT ledger.post_journal('f1', '[{"account":"CASH","side":"debit","amount":"6.00","ccy":"EUR"},
                                  {"account":"FEES","side":"credit","amount":"3.00","ccy":"EUR"},
                                  {"account":"TIPS","side":"credit","amount":"3.00","ccy":"EUR"}]');
SELECT is(tap.after_commit(), '{"triggered FEES 3.00","triggered TIPS 3.00"}',
          'Should fire for each account of the type, one created after the monitor too');
SELECT ledger.post_journal('f2', tap.pair('FEES', 'CASH', '1.00'));
SELECT is(tap.after_commit(), '{"resolved FEES 2.00"}', 'Should resolve per account');
SELECT is((SELECT triggered FROM ledger.list_monitors() WHERE account_type = 'income'), '{TIPS}',
          'list_monitors: Should list the accounts of a type where it is triggered');

-- list_monitors and delete_monitor -------------------------------------------------------------
SELECT is((SELECT array_agg(coalesce(account, account_type) || ' ' || field || ' ' || condition || ' ' || threshold)
             FROM ledger.list_monitors()),
          ARRAY['WALLET available < 50', 'SHOP posted <= 0', 'WALLET posted < 50', 'income available >= 2.5'],
          'list_monitors: Should list the tenant''s monitors, oldest first');
SELECT tap.mid('available', '>=', 2.5) AS gone \gset
SELECT is((SELECT concat_ws('|', account_type, triggered) FROM ledger.delete_monitor(:'gone')),
          'income|{TIPS}', 'delete_monitor: Should answer the monitor as it was');
SELECT is((SELECT count(*)::integer FROM ledger_private.monitor_state AS s
            WHERE s.monitor_id = :'gone'), 0, 'delete_monitor: Should delete its states');
SELECT ledger.post_journal('f3', tap.pair('TIPS', 'CASH', '3.00'));
SELECT is(tap.after_commit(), '{}', 'delete_monitor: Should fire nothing after, resolved or not');
SELECT is((SELECT action FROM ledger_private.audit_log ORDER BY audit_id DESC LIMIT 1), 'delete_monitor',
          'delete_monitor: Should record an audit line');
SELECT is((SELECT count(*)::integer FROM ledger.list_monitors()), 3, 'list_monitors: Should not list it any more');

-- Tenants stay apart ---------------------------------------------------------------------------
SELECT ledger.create_tenant('tmon');
SELECT ledger.create_account('WALLET', 'Wallet', 'EUR', 'liability', tenant => 'tmon');
SELECT ledger.create_account('CASH', 'Cash', 'EUR', tenant => 'tmon');
SELECT is(ledger_private.tenant_has_monitors('tmon'), false, 'Should see no monitor of another tenant');
SELECT ledger.post_journal('t1', tap.pair('WALLET', 'CASH', '10.00'), tenant => 'tmon');
SELECT is(tap.after_commit(), '{}', 'Should not evaluate a monitor for another tenant''s account of the same code');
SELECT is((SELECT count(*)::integer FROM ledger.list_monitors(tenant => 'tmon')), 0,
          'list_monitors: Should list only the tenant''s own');
SELECT throws_ok(format('SELECT ledger.delete_monitor(%L, tenant => %L)', tap.mid('available', '<', 50), 'tmon'),
                 'DX064', NULL, 'delete_monitor: Should not find another tenant''s monitor (DX064)');
SELECT ok((ledger.create_monitor('WALLET', field => 'available', condition => '<', threshold => 0, tenant => 'tmon')).monitor_id IS NOT NULL,
          'create_monitor: Should create in the named tenant');
SELECT is(tap.after_commit(), '{"triggered WALLET -10.00"}', 'Should evaluate the tenant''s own account');

SELECT * FROM finish();
ROLLBACK;
