-- Open holds kept apart (issue #17, migration 0019): ledger_private.open_hold_leg holds the
-- legs of the holds without a resolution, maintained by triggers on hold_leg and
-- hold_resolution for every writer. The proof: after each step of a random run of holds,
-- captures (whole and partial), voids, expiries before and after the sweep, postings and a
-- direct INSERT, open_hold_leg is exactly the full scan's unresolved hold legs and
-- pending_totals equals the full scan's totals for every account. And the readers
-- (pending_totals, expire_holds) read open_hold_leg, not the append-only history.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(21);
\ir helpers/fixtures.sql

-- Structure -----------------------------------------------------------------------------
SELECT has_table('ledger_private', 'open_hold_leg', 'Should have ledger_private.open_hold_leg');
SELECT has_index('ledger_private', 'open_hold_leg', 'open_hold_leg_by_account', 'Should index open legs by account');
SELECT trigger_is('ledger_private', 'hold_leg', 'hold_leg_opens', 'ledger_private', 'open_hold_legs_added',
                  'Should open the legs of a hold when they are written');
SELECT trigger_is('ledger_private', 'hold_resolution', 'hold_resolution_closes', 'ledger_private',
                  'open_hold_legs_resolved', 'Should close them when the hold is resolved');
SELECT is(has_table_privilege('doublex_api', 'ledger_private.open_hold_leg', 'SELECT'), false,
          'Should grant the API role nothing on it');

-- The full scan (what pending_totals read before 0019) and the comparison of every account.
CREATE FUNCTION tap.full_scan_legs() RETURNS TABLE (hold_id uuid, leg_no smallint, account_id bigint, side text,
                                                    amount numeric, expires_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT hl.hold_id, hl.leg_no, hl.account_id, hl.side, hl.amount, h.expires_at
      FROM ledger_private.hold_leg AS hl
      JOIN ledger_private.hold AS h ON h.hold_id = hl.hold_id
     WHERE NOT EXISTS (SELECT FROM ledger_private.hold_resolution AS r WHERE r.hold_id = hl.hold_id)
$$;
CREATE FUNCTION tap.open_is_full_scan() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT NOT EXISTS (
               (SELECT o.hold_id, o.leg_no, o.account_id, o.side, o.amount, o.expires_at
                  FROM ledger_private.open_hold_leg AS o
                EXCEPT ALL SELECT * FROM tap.full_scan_legs())
               UNION ALL
               (SELECT * FROM tap.full_scan_legs()
                EXCEPT ALL SELECT o.hold_id, o.leg_no, o.account_id, o.side, o.amount, o.expires_at
                             FROM ledger_private.open_hold_leg AS o))
       AND NOT EXISTS (
               SELECT FROM ledger_private.account AS a
                CROSS JOIN LATERAL ledger_private.pending_totals(a.account_id) AS p
                CROSS JOIN LATERAL (
                      SELECT coalesce(sum(f.amount) FILTER (WHERE f.side = 'debit'), 0) AS debits,
                             coalesce(sum(f.amount) FILTER (WHERE f.side = 'credit'), 0) AS credits
                        FROM tap.full_scan_legs() AS f
                       WHERE f.account_id = a.account_id
                         AND ledger_private.hold_is_live(f.expires_at)) AS s
                WHERE (p.debits, p.credits) IS DISTINCT FROM (s.debits, s.credits))
$$;
CREATE TEMP TABLE proof (step integer, ok boolean, what text) ON COMMIT DROP;

SELECT tap.create_accounts('CASH EUR asset', 'W1 EUR liability non-negative', 'W2 EUR liability',
                           'SHOP EUR liability', 'FEES EUR income');
SELECT ledger.post_journal('fund1', tap.pair('CASH', 'W1', '1000.00'));
SELECT ledger.post_journal('fund2', tap.pair('CASH', 'W2', '1000.00'));
SELECT ledger.set_account_limits('SHOP', NULL, 5000);

-- A random run: 200 steps, each checked --------------------------------------------------
SELECT setseed(0.17);
DO $$
DECLARE
    v_step integer;
    v_pick double precision;
    v_hold uuid;
    v_from text;
    v_amount text;
    v_legs jsonb;
BEGIN
    FOR v_step IN 1..200 LOOP
        v_pick := random();
        v_from := CASE WHEN random() < 0.5 THEN 'W1' ELSE 'W2' END;
        v_amount := to_char(1 + floor(random() * 2000) / 100, 'FM9990.00');
        v_legs := jsonb_build_array(
            jsonb_build_object('account', v_from, 'side', 'debit', 'amount', v_amount, 'ccy', 'EUR'),
            jsonb_build_object('account', 'SHOP', 'side', 'credit', 'amount', v_amount, 'ccy', 'EUR'));
        SELECT o.hold_id INTO v_hold FROM ledger_private.open_hold_leg AS o
         WHERE ledger_private.hold_is_live(o.expires_at)
         ORDER BY random() LIMIT 1;
        BEGIN
            IF v_pick < 0.45 OR v_hold IS NULL THEN
                PERFORM ledger.create_hold('r-' || v_step, v_legs,
                                           expires_at => CASE WHEN random() < 0.3
                                                              THEN clock_timestamp() + interval '5 ms' END);
            ELSIF v_pick < 0.6 THEN
                PERFORM ledger.capture_hold(v_hold, 'c-' || v_step);
            ELSIF v_pick < 0.7 THEN
                PERFORM ledger.capture_hold(
                    v_hold, 'c-' || v_step,
                    (SELECT jsonb_agg(to_char(hl.amount / 2, 'FM9990.00') ORDER BY hl.leg_no)
                       FROM ledger_private.hold_leg AS hl WHERE hl.hold_id = v_hold));
            ELSIF v_pick < 0.85 THEN
                PERFORM ledger.void_hold(v_hold, 'v-' || v_step);
            ELSIF v_pick < 0.95 THEN
                PERFORM ledger.post_journal('p-' || v_step, v_legs);
            ELSE
                PERFORM pg_sleep(0.01);
                PERFORM ledger.expire_holds();
            END IF;
        EXCEPTION WHEN SQLSTATE 'DX000' THEN
            NULL;  -- a refusal (DX010 on W1, DX052 on an expired one, an odd capture): nothing written
        END;
        INSERT INTO proof VALUES (v_step, tap.open_is_full_scan(), NULL);
    END LOOP;
END
$$;
SELECT is((SELECT string_agg(step::text, ', ') FROM proof WHERE NOT ok), NULL,
          'Should keep open_hold_leg equal to the full scan after every one of 200 random steps');
SELECT cmp_ok((SELECT count(*)::integer FROM ledger_private.hold_resolution), '>', 30,
              'Should have resolved many holds in the run');

-- Expiry: before the sweep the rows stay (and are skipped), the sweep deletes them ------
SELECT lives_ok($$SELECT ledger.create_hold('exp', tap.pair('W2', 'SHOP', '7.00'), expires_at => clock_timestamp() + interval '20 ms')$$,
                'Should hold with a short expiry');
SELECT is((SELECT count(*)::integer FROM ledger_private.open_hold_leg AS o JOIN ledger_private.hold AS h USING (hold_id)
            WHERE h.idempotency_key = 'exp'), 2, 'Should open its two legs');
SELECT pg_sleep(0.05);
SELECT ok(tap.open_is_full_scan(), 'Should equal the full scan once it expired, before the sweep');
SELECT is((SELECT count(*)::integer FROM ledger_private.open_hold_leg AS o JOIN ledger_private.hold AS h USING (hold_id)
            WHERE h.idempotency_key = 'exp'), 2, 'Should keep its legs until the sweep (skipped by hold_is_live)');
SELECT cmp_ok(ledger.expire_holds(), '>=', 1, 'expire_holds: Should mark it');
SELECT is((SELECT count(*)::integer FROM ledger_private.open_hold_leg AS o
            WHERE NOT ledger_private.hold_is_live(o.expires_at)), 0,
          'expire_holds: Should leave no expired open leg');
SELECT ok(tap.open_is_full_scan(), 'Should equal the full scan after the sweep');

-- A direct INSERT (the owner) opens its legs too; a capture closes them -------------------
INSERT INTO ledger_private.hold (hold_id, tenant, idempotency_key, fingerprint, created_by)
VALUES ('00000000-0000-7000-8000-000000000001', 'default', 'direct', '\x00', 'test');
INSERT INTO ledger_private.hold_leg (hold_id, leg_no, account_id, side, amount, ccy)
SELECT '00000000-0000-7000-8000-000000000001', l.n, a.account_id, l.side, 3.00, 'EUR'
  FROM (VALUES (1, 'W2', 'debit'), (2, 'SHOP', 'credit')) AS l (n, code, side)
  JOIN ledger_private.account AS a ON a.code = l.code;
SELECT is((SELECT count(*)::integer FROM ledger_private.open_hold_leg
            WHERE hold_id = '00000000-0000-7000-8000-000000000001'), 2,
          'Should open the legs of a hold written directly');
SELECT is((SELECT status FROM ledger.capture_hold('00000000-0000-7000-8000-000000000001', 'c-direct')), 'captured',
          'Should capture it');
SELECT is((SELECT count(*)::integer FROM ledger_private.open_hold_leg
            WHERE hold_id = '00000000-0000-7000-8000-000000000001'), 0, 'Should close its legs at the capture');
SELECT ok(tap.open_is_full_scan(), 'Should equal the full scan at the end');

-- The readers read the open legs, not the history ----------------------------------------
SELECT ok((SELECT p.prosrc ~ 'FROM ledger_private\.open_hold_leg AS o'
                   AND p.prosrc !~ '(ledger_private\.hold_leg |ledger_private\.hold |hold_resolution)'
              FROM pg_proc AS p WHERE p.oid = 'ledger_private.pending_totals(bigint)'::regprocedure),
          'pending_totals: Should read open_hold_leg, not the hold history (hold, hold_leg, hold_resolution)');
SELECT is((SELECT p.proconfig FROM pg_proc AS p WHERE p.oid = 'ledger_private.pending_totals(bigint)'::regprocedure),
          ARRAY['enable_seqscan=off'],
          'pending_totals: Should read through the index, never the whole table (a relation-wide predicate lock)');
SELECT is((SELECT count(*)::integer FROM ledger_private.open_hold_leg),
          (SELECT count(*)::integer FROM tap.full_scan_legs()),
          'Should keep as many rows as there are unresolved hold legs, not one per hold ever made');

SELECT * FROM finish();
ROLLBACK;
