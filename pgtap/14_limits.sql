-- Every size and count limit in one place: ledger_private.api_limit holds each value,
-- ledger.api_limits() lists them (the names once, the values from api_limit), and each
-- check of a limit accepts the limit and refuses one more with its DX code, naming the
-- number api_limit gives. Last, a changed api_limit is followed by its check and by
-- api_limits() (the transaction is rolled back).
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(60);
\ir helpers/fixtures.sql

-- ledger.api_limits(): structure --------------------------------------------------------
SELECT has_function('ledger', 'api_limits', ARRAY[]::text[], 'Should have ledger.api_limits()');
SELECT function_returns('ledger', 'api_limits', ARRAY[]::text[], 'setof record',
                        'Should have ledger.api_limits return rows');
SELECT is(pg_get_function_result('ledger.api_limits()'::regprocedure),
          'TABLE(name text, value integer, meaning text)',
          'Should return (name text, value integer, meaning text)');
SELECT is_definer('ledger', 'api_limits', ARRAY[]::text[], 'Should be SECURITY DEFINER');
SELECT volatility_is('ledger', 'api_limits', ARRAY[]::text[], 'stable', 'Should be STABLE');
SELECT is((SELECT p.proconfig FROM pg_proc AS p WHERE p.oid = 'ledger.api_limits()'::regprocedure),
          ARRAY['search_path=pg_catalog, pg_temp'], 'Should pin search_path to pg_catalog, pg_temp');
SELECT function_privs_are('ledger', 'api_limits', ARRAY[]::text[], 'doublex_app', ARRAY['EXECUTE'],
                          'Should grant doublex_app EXECUTE');
SELECT function_privs_are('ledger', 'api_limits', ARRAY[]::text[], 'public', ARRAY[]::text[],
                          'Should grant PUBLIC nothing');
SELECT isnt(obj_description('ledger.api_limits()'::regprocedure, 'pg_proc'), NULL,
            'Should have a COMMENT');

-- ledger.api_limits(): behaviour --------------------------------------------------------
SELECT results_eq(
    $$SELECT l.name, l.value FROM ledger.api_limits() AS l$$,
    $$VALUES ('account_code_length', 64), ('account_name_length', 200), ('amount_digits', 20),
             ('api_key_name_length', 200), ('batch_requests', 1000), ('client_id_length', 64),
             ('conditions_max', 20),
             ('date_format_length', 40), ('demo_leg_amount_max', 500), ('demo_tenants_per_address', 10),
             ('effective_date_days_ahead', 366), ('effective_date_days_back', 366),
             ('fx_rate_decimals', 12), ('fx_rate_digits', 12), ('fx_source_length', 200),
             ('idempotency_key_length', 255), ('key_burst_max', 10000),
             ('key_rate_default', 100), ('key_rate_max', 10000), ('legs_max', 500), ('legs_min', 2),
             ('memo_length', 1000), ('metadata_bytes', 16384), ('monitors_max', 100), ('page_legs', 5000),
             ('page_size', 1000), ('problem_lines_shown', 20), ('problem_value_length', 40),
             ('recon_pair_rounds', 16), ('recon_tolerance_max', 1000),
             ('ref_length', 200), ('statement_days', 366), ('statement_description_length', 1000),
             ('statement_file_name_length', 500), ('statement_id_length', 200), ('statement_page_legs', 10000),
             ('statement_ref_length', 200), ('tenant_length', 64),
             ('webhook_dead_letters_per_call', 10000), ('webhook_secret_length_max', 200),
             ('webhook_secret_length_min', 16), ('webhook_url_length', 2048),
             ('webhooks_per_tenant', 20)$$,
    'Should list every limit with its value, in name order');
SELECT is_empty($$SELECT l.name FROM ledger.api_limits() AS l
                   WHERE l.value IS DISTINCT FROM ledger_private.api_limit(l.name)
                      OR coalesce(l.meaning, '') = ''$$,
                'Should take every value from api_limit, and say what each limit bounds');
-- The names api_limit knows, read from its own body: none is left out of api_limits().
SELECT set_eq(
    $$SELECT m[1] FROM pg_proc AS p,
             regexp_matches(p.prosrc, 'WHEN ''([a-z_]+)'' THEN', 'g') AS m
       WHERE p.oid = 'ledger_private.api_limit(text)'::regprocedure$$,
    $$SELECT l.name FROM ledger.api_limits() AS l$$,
    'Should list exactly the names api_limit knows');
SET LOCAL ROLE doublex_app;
SELECT is((SELECT count(*)::integer FROM ledger.api_limits()), 43,
          'Should answer doublex_app, which cannot call api_limit itself');
RESET ROLE;

-- Fixtures ----------------------------------------------------------------------------------
SELECT lives_ok($$SELECT ledger.create_account(a.code, a.code, a.ccy)
                   FROM (VALUES ('EUR-A', 'EUR'), ('EUR-B', 'EUR'), ('USD-A', 'USD')) AS a (code, ccy)$$,
                'Should open the accounts the checks post to');

-- One statement line staged and imported (a fresh line each time: nothing is a duplicate).
CREATE FUNCTION pg_temp.import_line(p_file text, p_ref text, p_bank_id text, p_description text,
                                    p_format text DEFAULT NULL)
RETURNS ledger.statement_import_result LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger.stage_statement();
    INSERT INTO pg_temp.doublex_statement_staging (line_no, line_date, ref, amount, ccy, description, bank_id)
    VALUES (1, to_char(tap.day('2026-11-20'), coalesce(p_format, 'YYYY-MM-DD')), p_ref,
            (random() * 1000 + 1)::numeric(10, 2)::text, 'EUR', p_description, p_bank_id);
    RETURN ledger.import_statement('EUR-A', p_file, p_format);
END
$$;

-- Each check at its limit and one past it ---------------------------------------------------
CREATE TEMP TABLE limit_check (name text, at_limit text, past_limit text, code text) ON COMMIT DROP;
INSERT INTO limit_check VALUES
    ('account_code_length',
     $$SELECT ledger.create_account(repeat('C', 64), 'code', 'EUR')$$,
     $$SELECT ledger.create_account(repeat('D', 65), 'code', 'EUR')$$, 'DX018'),
    ('account_name_length',
     $$SELECT ledger.create_account('NAME-1', '  ' || repeat('n', 200) || '  ', 'EUR')$$,
     $$SELECT ledger.create_account('NAME-2', repeat('n', 201), 'EUR')$$, 'DX018'),
    ('amount_digits',
     $$SELECT ledger.post_journal('lim-amount-1', jsonb_build_array(
           jsonb_build_object('account', 'EUR-A', 'side', 'debit', 'amount', repeat('9', 20), 'ccy', 'EUR'),
           jsonb_build_object('account', 'EUR-B', 'side', 'credit', 'amount', repeat('9', 20), 'ccy', 'EUR')))$$,
     $$SELECT ledger.post_journal('lim-amount-2', jsonb_build_array(
           jsonb_build_object('account', 'EUR-A', 'side', 'debit', 'amount', repeat('9', 21), 'ccy', 'EUR'),
           jsonb_build_object('account', 'EUR-B', 'side', 'credit', 'amount', repeat('9', 21), 'ccy', 'EUR')))$$,
     'DX003'),
    ('amount_digits (FX amount)',
     $$SELECT ledger.post_fx_transfer('lim-fx-1', 'EUR-A', 'USD-A', 1e20 - 0.01, rate => 1)$$,
     $$SELECT ledger.post_fx_transfer('lim-fx-2', 'EUR-A', 'USD-A', 1e20, rate => 1)$$, 'DX003'),
    ('amount_digits (FX converted amount)',
     $$SELECT ledger.post_fx_transfer('lim-fx-3', 'EUR-A', 'USD-A', 5e19 - 0.01, rate => 2)$$,
     $$SELECT ledger.post_fx_transfer('lim-fx-4', 'EUR-A', 'USD-A', 5e19, rate => 2)$$, 'DX033'),
    ('fx_rate_digits',
     $$SELECT ledger.upsert_fx_rate('EUR', 'USD', 999999999999.5, tap.day('2026-01-01'))$$,
     $$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1e12, tap.day('2026-01-02'))$$, 'DX030'),
    ('fx_rate_decimals',
     $$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1.123456789012, tap.day('2026-01-03'))$$,
     $$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1.1234567890123, tap.day('2026-01-04'))$$, 'DX030'),
    ('fx_source_length',
     $$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1.1, tap.day('2026-01-05'), repeat('s', 200))$$,
     $$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1.1, tap.day('2026-01-06'), repeat('s', 201))$$, 'DX030'),
    ('statement_file_name_length',
     $$SELECT pg_temp.import_line(repeat('f', 500), 'r1', NULL, NULL)$$,
     $$SELECT pg_temp.import_line(repeat('f', 501), 'r2', NULL, NULL)$$, 'DX039'),
    ('statement_ref_length',
     $$SELECT pg_temp.import_line(NULL, repeat('r', 199) || '3', NULL, NULL)$$,
     $$SELECT pg_temp.import_line(NULL, repeat('r', 200) || '4', NULL, NULL)$$, 'DX035'),
    ('statement_id_length',
     $$SELECT pg_temp.import_line(NULL, NULL, repeat('i', 199) || '5', NULL)$$,
     $$SELECT pg_temp.import_line(NULL, NULL, repeat('i', 200) || '6', NULL)$$, 'DX035'),
    ('statement_description_length',
     $$SELECT pg_temp.import_line(NULL, 'r7', NULL, repeat('d', 1000))$$,
     $$SELECT pg_temp.import_line(NULL, 'r8', NULL, repeat('d', 1001))$$, 'DX035'),
    ('date_format_length',
     $$SELECT pg_temp.import_line(NULL, 'r9', NULL, NULL, 'YYYY-MM-DD' || repeat('.', 30))$$,
     $$SELECT pg_temp.import_line(NULL, 'r10', NULL, NULL, 'YYYY-MM-DD' || repeat('.', 31))$$, 'DX039'),
    ('api_key_name_length',
     $$SELECT ledger.create_api_key(' ' || repeat('k', 200) || ' ', ARRAY['read'])$$,
     $$SELECT ledger.create_api_key(repeat('k', 201), ARRAY['read'])$$, 'DX044');

SELECT lives_ok(c.at_limit, format('Should accept %s at its limit', c.name))
  FROM limit_check AS c ORDER BY c.name;
SELECT throws_ok(c.past_limit, c.code, NULL, format('Should refuse %s past its limit with %s', c.name, c.code))
  FROM limit_check AS c ORDER BY c.name;

-- A leg's decimals have the same bound as its whole digits.
SELECT is(ledger_private.leg_problem(jsonb_build_object(
              'account', 'A', 'side', 'debit', 'amount', '1.' || repeat('1', 20), 'ccy', 'EUR')),
          NULL, 'Should take an amount with amount_digits decimals as well formed');
SELECT is(ledger_private.leg_problem(jsonb_build_object(
              'account', 'A', 'side', 'debit', 'amount', '1.' || repeat('1', 21), 'ccy', 'EUR')),
          'amount_format', 'Should take an amount with one more decimal as malformed');
-- An inverted rate is rounded to as many decimals as a rate may have.
SELECT lives_ok($$SELECT ledger.upsert_fx_rate('EUR', 'GBP', 3, tap.day('2026-01-01'))$$, 'Should set a rate of 3');
SELECT is((SELECT r.rate FROM ledger.fx_rate('GBP', 'EUR', tap.day('2026-01-01')) AS r),
          0.333333333333, 'Should round an inverted rate to fx_rate_decimals decimals');

-- The messages name the number api_limit gives ----------------------------------------------
SELECT throws_ok($$SELECT ledger.create_account('NAME-3', ' ', 'EUR')$$, 'DX018',
                 'name: required, 1 to 200 characters', 'Should name the account name limit');
SELECT throws_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1.1, tap.day('2026-01-07'), repeat('s', 201))$$, 'DX030',
                 'source: 1 to 200 characters, got 201', 'Should name the source limit');
SELECT throws_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1.1234567890123, tap.day('2026-01-07'))$$, 'DX030',
                 'rate: 1.1234567890123 has more than 12 decimals', 'Should name the rate decimals limit');
SELECT throws_ok($$SELECT ledger.upsert_fx_rate('EUR', 'USD', 1e12, tap.day('2026-01-07'))$$, 'DX030',
                 'rate: must be a positive number below 10^12, got 1000000000000',
                 'Should name the rate digits limit');
SELECT throws_ok($$SELECT ledger.post_fx_transfer('lim-fx-5', 'EUR-A', 'USD-A', 1e20, rate => 1)$$, 'DX003',
                 'amount: must be a positive decimal below 10^20, got 100000000000000000000',
                 'Should name the amount digits limit');
SELECT throws_ok($$SELECT pg_temp.import_line(repeat('f', 501), 'r11', NULL, NULL)$$, 'DX039',
                 'file_name: at most 500 characters', 'Should name the file name limit');
SELECT throws_ok($$SELECT pg_temp.import_line(NULL, repeat('r', 201), NULL, NULL)$$, 'DX035',
                 'statement: 1 of 1 line(s) are invalid; nothing was imported',
                 'Should refuse an over-long statement ref');
-- A statement's lines are refused together; DETAIL names each limit a line passes.
SELECT is(tap.detail_of($$SELECT pg_temp.import_line(NULL, repeat('r', 201), repeat('i', 201), repeat('d', 1001))$$),
          'line 1: ref: longer than 200 characters; id: longer than 200 characters; '
          'description: longer than 1000 characters',
          'Should name the statement line limits in DETAIL');

-- A limit changes in api_limit only: its check and api_limits() follow ----------------------
CREATE FUNCTION pg_temp.set_limit(p_name text, p_value integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_definition text := pg_get_functiondef('ledger_private.api_limit(text)'::regprocedure);
    v_changed text := regexp_replace(v_definition, format('(WHEN %L THEN )[0-9]+', p_name),
                                     format('\1%s', p_value));
BEGIN
    IF v_changed = v_definition THEN
        RAISE EXCEPTION 'no limit % in api_limit', p_name;
    END IF;
    EXECUTE v_changed;
END
$$;
SELECT lives_ok($$SELECT pg_temp.set_limit('account_name_length', 5)$$,
                'Should replace api_limit with account_name_length 5');
SELECT is((SELECT l.value FROM ledger.api_limits() AS l WHERE l.name = 'account_name_length'), 5,
          'Should list the changed value');
SELECT lives_ok($$SELECT ledger.create_account('NAME-4', 'fivec', 'EUR')$$,
                'Should accept a name at the changed limit');
SELECT throws_ok($$SELECT ledger.create_account('NAME-5', 'sixchr', 'EUR')$$, 'DX018',
                 'name: required, 1 to 5 characters', 'Should refuse one past the changed limit, naming it');
SELECT lives_ok($$SELECT pg_temp.set_limit('statement_ref_length', 3)$$,
                'Should replace api_limit with statement_ref_length 3');
SELECT is(tap.detail_of($$SELECT pg_temp.import_line(NULL, 'abcd', NULL, NULL)$$),
          'line 1: ref: longer than 3 characters', 'Should check statement lines against the changed limit');

SELECT * FROM finish();
ROLLBACK;
