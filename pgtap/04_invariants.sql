-- Invariants the database holds by itself: direct writes to ledger_private by the owner role
-- (bypassing the API) are checked by the triggers exactly like postings, and history is
-- append-only.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(55);

-- Helpers (dropped with the transaction) ---------------------------------------------------
-- They are SECURITY DEFINER functions owned by doublex_owner, so that every direct write
-- below runs as the role that owns the tables.
\ir helpers/fixtures.sql

-- The tenants this file uses besides default (#14: a tenant exists before it is used).
DO $$ BEGIN PERFORM ledger.create_tenant(t) FROM unnest(ARRAY['acme']) AS t; END $$;
ALTER SCHEMA tap OWNER TO doublex_owner;

-- Inserts a journal and its legs ([{account, side, amount, ccy[, tenant][, txid]}]) straight
-- into the tables, then (p_check) fires the deferred constraint triggers as COMMIT would.
-- p_txid overrides the journal's writing transaction, a leg's txid the leg's.
CREATE FUNCTION tap.insert_journal(p_legs jsonb, p_check boolean DEFAULT true, p_txid bigint DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_id uuid := gen_random_uuid();
    v_leg jsonb;
    v_no integer := 0;
BEGIN
    INSERT INTO ledger_private.journal (journal_id, tenant, idempotency_key, effective_date, txid, created_by)
    VALUES (v_id, 'default', 'direct-' || v_id, current_date,
            coalesce(p_txid, (pg_current_xact_id()::text)::bigint), 'test:direct');
    IF p_txid IS NOT NULL THEN
        -- Stand-in for a journal of an earlier transaction: its transaction-local state is
        -- gone (the txid given is ignored: the journal trigger pins the writer's).
        PERFORM set_config('doublex.journal_' || ledger_private.journal_slot(v_id), '{}', true);
    END IF;
    FOR v_leg IN SELECT e.value FROM jsonb_array_elements(p_legs) AS e LOOP
        v_no := v_no + 1;
        INSERT INTO ledger_private.leg (journal_id, leg_no, account_id, side, amount, ccy, txid)
        VALUES (v_id, v_no,
                (SELECT a.account_id FROM ledger_private.account AS a
                  WHERE a.code = v_leg ->> 'account'
                    AND a.tenant = coalesce(v_leg ->> 'tenant', 'default')),
                v_leg ->> 'side', (v_leg ->> 'amount')::numeric, v_leg ->> 'ccy',
                coalesce((v_leg ->> 'txid')::bigint, (pg_current_xact_id()::text)::bigint));
    END LOOP;
    IF p_check THEN
        SET CONSTRAINTS ALL IMMEDIATE;
        SET CONSTRAINTS ALL DEFERRED;
    END IF;
    RETURN v_id;
END
$$;
ALTER FUNCTION tap.insert_journal(jsonb, boolean, bigint) OWNER TO doublex_owner;

-- Runs one statement as doublex_owner and returns the role it ran as.
CREATE FUNCTION tap.as_owner(p_sql text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE p_sql;
    RETURN current_user;
END
$$;
ALTER FUNCTION tap.as_owner(text) OWNER TO doublex_owner;

-- (tap.row_counts and the snapshot table are in helpers/fixtures.sql.)

SELECT lives_ok($$
    SELECT tap.create_accounts('CASH EUR asset', 'LIAB EUR liability', 'USD-CASH USD asset',
                               'WALLET EUR asset non-negative', 'LIAB-NN EUR liability non-negative',
                               'FROZEN EUR asset', 'CLOSED EUR asset', 'T-ASSET EUR asset',
                               'T-LIAB EUR liability')
$$, 'Should create the accounts of the tests');
SELECT lives_ok($$
    SELECT ledger.set_account_status('FROZEN', 'frozen'), ledger.set_account_status('CLOSED', 'closed'),
           ledger.create_account('ACME-CASH', 'Acme cash', 'EUR', tenant => 'acme')
$$, 'Should freeze one account, close another and create one in tenant acme');
SELECT is(tap.as_owner('SELECT 1'), 'doublex_owner', 'Should run the direct writes as doublex_owner');

-- Direct inserts: the control case ----------------------------------------------------------
SELECT lives_ok($$SELECT tap.insert_journal(tap.pair('CASH', 'LIAB', '10.5'))$$,
    'Should accept a balanced journal inserted directly, constraints checked');
SELECT results_eq(
    $$SELECT l.amount::text, l.tenant, l.effective_date FROM ledger_private.leg AS l
        JOIN ledger_private.journal AS j USING (journal_id)
       WHERE j.idempotency_key LIKE 'direct-%' ORDER BY l.leg_no$$,
    $$VALUES ('10.50'::text, 'default'::text, current_date), ('10.50', 'default', current_date)$$,
    'Should store a direct leg at the currency scale with the journal''s tenant and date');
SELECT is((SELECT balance FROM ledger.get_balance('CASH')), 10.50::numeric,
          'Should count the direct journal in the balance');

-- Direct inserts: refused --------------------------------------------------------------------
SELECT lives_ok($$SELECT ledger.post_journal('inv-1', tap.pair('CASH', 'LIAB', '100.00'))$$,
    'Should post a journal through the API (history for the tests below)');
INSERT INTO snapshot VALUES ('before', tap.row_counts());

-- Journals refused when their constraints are checked (as at COMMIT), each with its SQLSTATE.
SELECT throws_ok(format('SELECT tap.insert_journal(%L)', t.legs), t.code, NULL, t.description)
  FROM (VALUES
    (tap.legs('CASH debit 10.00 EUR', 'LIAB credit 9.99 EUR'),
     'DX009', 'Should refuse an unbalanced direct journal when constraints are checked (DX009)'),
    (tap.legs('CASH debit 10.00 EUR', 'LIAB credit 10.00 EUR',
              'USD-CASH debit 10.00 USD', 'CASH credit 10.00 EUR'),
     'DX009', 'Should refuse a direct journal unbalanced in one currency (DX009)'),
    (tap.legs('CASH debit 10.00 EUR'),
     'DX002', 'Should refuse a direct journal with one leg (DX002)'),
    ('[]',
     'DX002', 'Should refuse a direct journal without legs (DX002)'),
    (tap.pair('CASH', 'WALLET', '5.00'),
     'DX010', 'Should refuse a direct journal taking a non-negative asset below zero (DX010)'),
    (tap.pair('LIAB-NN', 'CASH', '5.00'),
     'DX010', 'Should refuse a direct journal taking a non-negative liability below zero (DX010)')
       ) AS t (legs, code, description);

-- Legs refused as they are inserted, before any constraint is checked.
SELECT throws_ok(format('SELECT tap.insert_journal(%L, false)', t.legs), t.code, NULL, t.description)
  FROM (VALUES
    (tap.pair('CASH', 'LIAB', '10.00', 'USD'),
     'DX008', 'Should refuse a direct leg in another currency than its account at insert (DX008)'),
    (tap.pair('CASH', 'LIAB', '10.00', 'ZZZ'),
     'DX005', 'Should refuse a direct leg in an unknown currency at insert (DX005)'),
    (tap.pair('CASH', 'LIAB', '10.001'),
     'DX004', 'Should refuse a direct leg with too many decimals at insert (DX004)'),
    (tap.pair('FROZEN', 'LIAB', '1.00'),
     'DX007', 'Should refuse a direct leg to a frozen account at insert (DX007)'),
    (tap.pair('CLOSED', 'LIAB', '1.00'),
     'DX007', 'Should refuse a direct leg to a closed account at insert (DX007)'),
    (tap.legs('ACME-CASH debit 1.00 EUR acme', 'LIAB credit 1.00 EUR'),
     'DX006', 'Should refuse a direct leg to an account of another tenant at insert (DX006)')
       ) AS t (legs, code, description);

-- Legs of a journal this transaction did not write.
SELECT throws_ok($$SELECT tap.insert_journal(tap.pair('CASH', 'LIAB', '1.00'), false, 1)$$,
    'DX021', NULL, 'Should refuse a leg added to a journal of an earlier transaction (DX021)');
SELECT throws_ok($$SELECT tap.as_owner($q$
    INSERT INTO ledger_private.leg (journal_id, leg_no, account_id, side, amount, ccy)
    SELECT gen_random_uuid(), 1, account_id, 'debit', 1, 'EUR' FROM ledger_private.account
     WHERE tenant = 'default' AND code = 'CASH' $q$)$$,
    'DX021', NULL, 'Should refuse a leg of a journal that does not exist (DX021)');

SELECT is(tap.row_counts(), (SELECT counts FROM snapshot WHERE label = 'before'),
          'Should leave no trace of any refused direct insert');

SELECT lives_ok($$SELECT tap.insert_journal(tap.pair('WALLET', 'CASH', '5.00')),
    tap.insert_journal(tap.pair('CASH', 'WALLET', '5.00'))$$,
    'Should accept direct journals that fund a non-negative account and take it back to zero');
SELECT is((SELECT balance FROM ledger.get_balance('WALLET')), 0.00::numeric,
          'Should leave the non-negative account at zero');

-- History is append-only ----------------------------------------------------------------------
CREATE TEMP TABLE history ON COMMIT DROP AS SELECT tap.row_counts() AS counts;

SELECT throws_ok($$SELECT tap.as_owner('UPDATE ledger_private.journal SET memo = ''changed''')$$,
                 'DX017', NULL, 'Should refuse UPDATE of a journal (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('UPDATE ledger_private.journal SET effective_date = effective_date')$$,
                 'DX017', NULL, 'Should refuse even a no-op UPDATE of a journal (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('DELETE FROM ledger_private.journal')$$,
                 'DX017', NULL, 'Should refuse DELETE of a journal (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('UPDATE ledger_private.leg SET amount = amount + 1')$$,
                 'DX017', NULL, 'Should refuse UPDATE of a leg (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('DELETE FROM ledger_private.leg')$$,
                 'DX017', NULL, 'Should refuse DELETE of a leg (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('UPDATE ledger_private.idempotency_sentinel SET journal_id = gen_random_uuid()')$$,
                 'DX017', NULL, 'Should refuse UPDATE of an idempotency sentinel (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('DELETE FROM ledger_private.idempotency_sentinel')$$,
                 'DX017', NULL, 'Should refuse DELETE of an idempotency sentinel (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('TRUNCATE ledger_private.leg')$$,
                 'DX017', NULL, 'Should refuse TRUNCATE of leg (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('TRUNCATE ledger_private.journal, ledger_private.leg')$$,
                 'DX017', NULL, 'Should refuse TRUNCATE of journal with leg (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('TRUNCATE ledger_private.journal CASCADE')$$,
                 'DX017', NULL, 'Should refuse TRUNCATE … CASCADE of journal (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('TRUNCATE ledger_private.idempotency_sentinel')$$,
                 'DX017', NULL, 'Should refuse TRUNCATE of idempotency_sentinel (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('TRUNCATE ledger_private.account CASCADE')$$,
                 'DX017', NULL, 'Should refuse TRUNCATE of account (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('DELETE FROM ledger_private.account WHERE code = ''CLOSED''')$$,
                 'DX017', NULL, 'Should refuse DELETE of an account, even a closed one (DX017)');

SELECT throws_ok($$SELECT tap.as_owner('UPDATE ledger_private.account SET code = ''CASH-2'' WHERE code = ''CASH''')$$,
                 'DX017', NULL, 'Should refuse changing an account''s code (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('UPDATE ledger_private.account SET ccy = ''USD'' WHERE code = ''CASH''')$$,
                 'DX017', NULL, 'Should refuse changing an account''s currency (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('UPDATE ledger_private.account SET type = ''liability'' WHERE code = ''CASH''')$$,
                 'DX017', NULL, 'Should refuse changing an account''s type (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('UPDATE ledger_private.account SET allow_negative = false WHERE code = ''CASH''')$$,
                 'DX017', NULL, 'Should refuse changing an account''s allow_negative (DX017)');
SELECT throws_ok($$SELECT tap.as_owner('UPDATE ledger_private.account SET tenant = ''acme'' WHERE code = ''CASH''')$$,
                 'DX017', NULL, 'Should refuse moving an account to another tenant (DX017)');

SELECT is(tap.row_counts(), (SELECT counts FROM history),
          'Should keep every journal, leg, sentinel and account after the refused changes');
SELECT results_eq(
    $$SELECT code, ccy, type, allow_negative, status FROM ledger.get_account('CASH')$$,
    $$VALUES ('CASH'::text, 'EUR'::text, 'asset'::text, true, 'active'::text)$$,
    'Should keep the account''s identity unchanged');

SELECT lives_ok($$SELECT tap.as_owner('UPDATE ledger_private.account SET name = ''Cash at bank'' WHERE code = ''CASH''')$$,
                'Should allow renaming an account');
SELECT lives_ok($$SELECT tap.as_owner('UPDATE ledger_private.account SET status = ''frozen'' WHERE code = ''CASH''')$$,
                'Should allow changing an account''s status');
SELECT lives_ok($$SELECT tap.as_owner('UPDATE ledger_private.account SET metadata = ''{"a": 1}'' WHERE code = ''CASH''')$$,
                'Should allow changing an account''s metadata');
SELECT results_eq(
    $$SELECT name, status, metadata FROM ledger.get_account('CASH')$$,
    $$VALUES ('Cash at bank'::text, 'frozen'::text, '{"a": 1}'::jsonb)$$,
    'Should store the new name, status and metadata');

-- Late legs and foreign txids ---------------------------------------------------------
-- A leg added to a journal after its balance check ran is checked again at commit by the
-- per-leg trigger, however the journal was written: 'direct' (tap.insert_journal),
-- 'post_journal' (which runs the check before returning) or 'post_journals' (a batch, whose
-- journals post_journals checks itself; a leg added afterwards still queues its own commit
-- check). Each scenario ends by raising TAP01, so a scenario that is not refused rolls back
-- all the same and the test reports TAP01.
CREATE FUNCTION tap.leg_after_check(p_via text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_id uuid;
BEGIN
    CASE p_via
    WHEN 'direct' THEN
        v_id := tap.insert_journal(tap.pair('T-LIAB', 'T-ASSET', '1.00'));
    WHEN 'post_journal' THEN
        SELECT r.journal_id INTO v_id
          FROM ledger.post_journal('todo-1', tap.pair('T-LIAB', 'T-ASSET', '1.00')) AS r;
    WHEN 'post_journals' THEN
        SELECT r.journal_id INTO v_id
          FROM ledger.post_journals(jsonb_build_array(
                   jsonb_build_object('idempotency_key', 'todo-b1', 'legs', tap.pair('T-LIAB', 'T-ASSET', '1.00')),
                   jsonb_build_object('idempotency_key', 'todo-b2', 'legs', tap.pair('T-LIAB', 'T-ASSET', '2.00'))))
               AS r
         WHERE r.position = 0;
    WHEN 'capture_hold' THEN
        SELECT r.journal_id INTO v_id
          FROM ledger.capture_hold((SELECT h.hold_id
                                      FROM ledger.create_hold('todo-h', tap.pair('T-LIAB', 'T-ASSET', '1.00')) AS h),
                                   'todo-c') AS r;
    END CASE;
    INSERT INTO ledger_private.leg (journal_id, leg_no, account_id, side, amount, ccy)
    SELECT v_id, 3, a.account_id, 'debit', 5, 'EUR'
      FROM ledger_private.account AS a WHERE a.tenant = 'default' AND a.code = 'T-LIAB';
    SET CONSTRAINTS ALL IMMEDIATE;
    RAISE EXCEPTION USING ERRCODE = 'TAP01', MESSAGE = 'the unbalanced journal was accepted';
END
$$;
ALTER FUNCTION tap.leg_after_check(text) OWNER TO doublex_owner;

-- A direct leg may name its own txid; one below the balance watermark is neither in the
-- checkpoints nor in the tail, so balances would silently miss it. True when the leg is
-- refused or stored with the writing transaction's txid.
CREATE FUNCTION tap.leg_txid_is_the_writers() RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_ok boolean;
BEGIN
    BEGIN
        PERFORM tap.insert_journal('[
            {"account": "T-LIAB", "side": "debit",  "amount": "1.00", "ccy": "EUR", "txid": 1},
            {"account": "T-ASSET", "side": "credit", "amount": "1.00", "ccy": "EUR"}]');
        SELECT bool_and(l.txid = (pg_current_xact_id()::text)::bigint) INTO v_ok
          FROM ledger_private.leg AS l JOIN ledger_private.journal AS j USING (journal_id)
         WHERE j.txid = (pg_current_xact_id()::text)::bigint;
        RAISE EXCEPTION USING ERRCODE = 'TAP00';  -- roll the scenario back
    EXCEPTION
        WHEN SQLSTATE 'TAP00' THEN RETURN v_ok;
        WHEN OTHERS THEN RETURN true;  -- refused
    END;
END
$$;

SELECT throws_ok($$SELECT tap.leg_after_check('direct')$$, 'DX009', NULL,
                 'Should refuse a leg that unbalances a direct journal after its check ran (DX009)');
SELECT throws_ok($$SELECT tap.leg_after_check('post_journal')$$, 'DX009', NULL,
                 'Should refuse a leg that unbalances a journal after post_journal returned (DX009)');
SELECT throws_ok($$SELECT tap.leg_after_check('post_journals')$$, 'DX009', NULL,
                 'Should refuse a leg that unbalances a journal after post_journals returned (DX009)');
SELECT throws_ok($$SELECT tap.leg_after_check('capture_hold')$$, 'DX009', NULL,
                 'Should refuse a leg that unbalances a journal after capture_hold returned (DX009)');
SELECT lives_ok($$SELECT ledger.post_journal('flag-1', tap.pair('T-LIAB', 'T-ASSET', '1.00'))$$,
    'Should post a journal through the API');
SELECT is(current_setting('doublex.checked_inline'), 'off',
          'Should stop vouching for new rows when post_journal returns (late legs stay checked)');
SELECT ok(tap.leg_txid_is_the_writers(),
          'Should store a direct leg under the writing transaction''s txid or refuse it');

SELECT * FROM finish();
ROLLBACK;
