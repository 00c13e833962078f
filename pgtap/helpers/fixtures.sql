-- Shared pgTAP fixtures: the helpers several pgtap/*.sql files use, defined once. A test
-- file loads this right after BEGIN (and plan()) with
--
--   \ir helpers/fixtures.sql
--
-- (psql's include relative to the including file, which pg_prove runs through psql). Every
-- object lands in schema tap or pg_temp and goes away with the file's transaction. Nothing
-- here is a test: the file emits no TAP line. tests/run_pgtap.py runs only pgtap/*.sql, so
-- this folder is never run as a test file of its own.

-- The ledger's NOTICEs (TRUNCATE … CASCADE, the close's progress) are not the tests' output:
-- every file that loads this runs quiet from here to its ROLLBACK.
SET LOCAL client_min_messages = warning;

CREATE SCHEMA tap;
-- The files that SET ROLE doublex_app use the date helpers below too.
GRANT USAGE ON SCHEMA tap TO PUBLIC;

-- A two-leg journal: debit one account, credit another, same amount and currency.
CREATE FUNCTION tap.pair(p_debit text, p_credit text, p_amount text, p_ccy text DEFAULT 'EUR')
RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_array(
        jsonb_build_object('account', p_debit, 'side', 'debit', 'amount', p_amount, 'ccy', p_ccy),
        jsonb_build_object('account', p_credit, 'side', 'credit', 'amount', p_amount, 'ccy', p_ccy))
$$;

-- Legs written one a spec, 'ACCOUNT SIDE AMOUNT CCY', with ' TENANT' after them for a leg
-- naming its account's tenant: tap.legs('CASH debit 10.00 EUR', 'LIAB credit 9.99 EUR').
CREATE FUNCTION tap.legs(VARIADIC p_specs text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object('account', w[1], 'side', w[2], 'amount', w[3],
                                                          'ccy', w[4], 'tenant', w[5])) ORDER BY s.n)
      FROM unnest(p_specs) WITH ORDINALITY AS s (spec, n), regexp_split_to_array(s.spec, ' ') AS w
$$;

-- The usual two-leg journal of the end-of-day files: CASH debit, LIAB credit, in EUR.
CREATE FUNCTION tap.pair(p_amount text DEFAULT '1.00') RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$ SELECT tap.pair('CASH', 'LIAB', p_amount) $$;

-- The journal posted under an idempotency key.
CREATE FUNCTION tap.jid(p_key text, p_tenant text DEFAULT 'default') RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT j.journal_id FROM ledger_private.journal AS j WHERE j.tenant = p_tenant AND j.idempotency_key = p_key
$$;

-- Day n before today (the current business date of tenant default).
CREATE FUNCTION tap.d(p_days integer) RETURNS date
LANGUAGE sql STABLE AS $$ SELECT ledger.business_date() - p_days $$;

-- The fixed dates of the tests, moved next to today (no test may depend on the day it runs:
-- journals more than a year from the business date are refused, DX029). The files are
-- written as if today were 2026-12-04; tap.day shifts such a nominal date by the whole number
-- of days between that and the real today (UTC, the business date of the default settings,
-- taken from now(): the same for the whole file), so distances to today, to each other and
-- to the window stay as written. tap.dates does it to every valid YYYY-MM-DD in a text
-- (statement lines, JSON, expected messages); invalid ones (2026-02-30) stay. The pytest
-- side is tests/support/dates.py; tests/test_fixed_dates.py fails on a date written outside.
CREATE FUNCTION tap.day(p_nominal date) RETURNS date
LANGUAGE sql STABLE AS $$ SELECT p_nominal + ((now() AT TIME ZONE 'UTC')::date - date '2026-12-04') $$;

CREATE FUNCTION tap.dates(p_text text) RETURNS text
LANGUAGE plpgsql STABLE STRICT AS $$
DECLARE
    v_out text := '';
    v_rest text := p_text;
    v_at integer;
    v_token text;
BEGIN
    LOOP
        v_at := regexp_instr(v_rest, '(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])');
        EXIT WHEN v_at = 0;
        v_token := substr(v_rest, v_at, 10);
        BEGIN
            v_token := to_char(tap.day(v_token::date), 'YYYY-MM-DD');
        EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
            NULL;  -- not a calendar date: stays as written
        END;
        v_out := v_out || left(v_rest, v_at - 1) || v_token;
        v_rest := substr(v_rest, v_at + 10);
    END LOOP;
    RETURN v_out || v_rest;
END
$$;

-- How many journals, legs, sentinels, settlements, accounts, closes, account snapshots,
-- trial balance rows and ledger settings exist; with the snapshot table, "nothing was
-- written" is one comparison.
CREATE FUNCTION tap.row_counts() RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('journals=%s legs=%s sentinels=%s settlements=%s accounts=%s '
                  'closes=%s snapshots=%s trial=%s settings=%s',
                  (SELECT count(*) FROM ledger_private.journal),
                  (SELECT count(*) FROM ledger_private.leg),
                  (SELECT count(*) FROM ledger_private.idempotency_sentinel),
                  (SELECT count(*) FROM ledger_private.fx_settlement),
                  (SELECT count(*) FROM ledger_private.account),
                  (SELECT count(*) FROM ledger_private.day_close),
                  (SELECT count(*) FROM ledger_private.account_snapshot),
                  (SELECT count(*) FROM ledger_private.trial_balance),
                  (SELECT count(*) FROM ledger_private.ledger_settings))
$$;
CREATE TEMP TABLE snapshot (label text PRIMARY KEY, counts text) ON COMMIT DROP;

-- Σ legs of an account of tenant default up to a date, on its normal side: what every
-- balance as of that date must equal.
CREATE FUNCTION tap.legs_balance(p_code text, p_as_of date) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(CASE WHEN l.side = a.normal_side THEN l.amount ELSE -l.amount END), 0)
      FROM ledger_private.account AS a
      LEFT JOIN ledger_private.leg AS l ON l.account_id = a.account_id AND l.effective_date <= p_as_of
     WHERE a.code = p_code AND a.tenant = 'default'
$$;

-- Accounts of tenant default named by their code, one spec each: 'CODE CCY TYPE', followed
-- by ' non-negative' for an account that may not go below zero. Answers how many it created.
CREATE FUNCTION tap.create_accounts(VARIADIC p_specs text[]) RETURNS integer
LANGUAGE sql AS $$
    SELECT count(ledger.create_account(w[1], w[1], w[2], w[3], coalesce(w[4], '') <> 'non-negative'))::integer
      FROM unnest(p_specs) AS s, regexp_split_to_array(s, ' ') AS w
$$;

-- Stage statement lines written 'line_no|date|ref|amount|ccy|description|id' and import them.
CREATE FUNCTION tap.import(p_account text, p_lines text[], p_file text DEFAULT 'statement.csv',
                           p_date_format text DEFAULT NULL)
RETURNS ledger.statement_import_result
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger.stage_statement();
    INSERT INTO pg_temp.doublex_statement_staging
           (line_no, line_date, ref, amount, ccy, description, bank_id)
    SELECT split_part(l, '|', 1)::integer, nullif(split_part(l, '|', 2), ''),
           nullif(split_part(l, '|', 3), ''), nullif(split_part(l, '|', 4), ''),
           nullif(split_part(l, '|', 5), ''), nullif(split_part(l, '|', 6), ''),
           nullif(split_part(l, '|', 7), '')
      FROM unnest(p_lines) AS l;
    RETURN ledger.import_statement(p_account, p_file, p_date_format);
END
$$;

-- For the files that run at READ COMMITTED, where nothing can be posted through the API:
-- accounts CASH (asset) and LIAB (liability) in EUR and one balanced journal of 42.00 on
-- the date given, written straight into the tables (checked by the same triggers).
CREATE FUNCTION tap.direct_books(p_journal_id uuid, p_key text, p_date date) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO ledger_private.account (code, name, ccy, type, created_by, changed_by)
    VALUES ('CASH', 'Cash', 'EUR', 'asset', 'test:direct', 'test:direct'),
           ('LIAB', 'Funds', 'EUR', 'liability', 'test:direct', 'test:direct');
    INSERT INTO ledger_private.journal (journal_id, idempotency_key, effective_date, created_by)
    VALUES (p_journal_id, p_key, p_date, 'test:direct');
    INSERT INTO ledger_private.leg (journal_id, leg_no, account_id, side, amount, ccy)
    SELECT p_journal_id, l.leg_no, a.account_id, l.side, 42, 'EUR'
      FROM (VALUES (1, 'CASH', 'debit'), (2, 'LIAB', 'credit')) AS l (leg_no, code, side)
      JOIN ledger_private.account AS a ON a.tenant = 'default' AND a.code = l.code;
$$;

-- The DETAIL of the error a statement raises (NULL when it raises none).
CREATE FUNCTION tap.detail_of(p_query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_detail text;
BEGIN
    EXECUTE p_query;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
    RETURN v_detail;
END
$$;

-- A function's return type, language and volatility, as 'returns language volatility'
-- (e.g. 'numeric sql immutable'): the shape the structure tests pin.
CREATE FUNCTION tap.function_shape(p_function regprocedure) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT format('%s %s %s', pg_get_function_result(p.oid), l.lanname,
                  CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END)
      FROM pg_proc AS p
      JOIN pg_language AS l ON l.oid = p.prolang
     WHERE p.oid = p_function
$$;

-- Two tests of a function given by its qualified name and argument types: it exists, and
-- it has this return type, language and volatility.
CREATE FUNCTION tap.function_is(p_name text, p_args text[], p_returns text, p_lang text, p_volatility text)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEXT has_function(split_part(p_name, '.', 1), split_part(p_name, '.', 2), p_args,
                             format('Should have %s(%s)', p_name, array_to_string(p_args, ', ')));
    RETURN NEXT is(tap.function_shape(format('%s(%s)', p_name, array_to_string(p_args, ','))::regprocedure),
                   format('%s %s %s', p_returns, p_lang, p_volatility),
                   format('Should declare %s as returning %s, in %s, %s', p_name, p_returns, p_lang, p_volatility));
END
$$;

-- The plan of a query as EXPLAIN (VERBOSE, COSTS OFF) prints it: a helper that was inlined
-- is absent from it.
CREATE FUNCTION tap.plan_text(p_query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_line text;
    v_plan text := '';
BEGIN
    FOR v_line IN EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF) ' || p_query LOOP
        v_plan := v_plan || v_line || E'\n';
    END LOOP;
    RETURN v_plan;
END
$$;
