-- ledger.import_statement: validate and ingest the staged statement lines of an account.
--
--   SELECT ledger.stage_statement();
--   COPY pg_temp.doublex_statement_staging (line_no, line_date, ref, amount, ccy, description, bank_id)
--        FROM STDIN (FORMAT csv);
--   SELECT * FROM ledger.import_statement('1001-CASH', 'statement-2026-11-20.csv');
--   → import_id, status ('imported' | 'duplicate'), account, lines, added, skipped
--
-- account      the ledger account the statement belongs to (its currency is the lines')
-- file_name    kept for the reports (≤ api_limit('statement_file_name_length') characters),
--              optional
-- date_format  how line_date is written: YYYY, MM and DD with separators (default YYYY-MM-DD)
-- All or nothing, in one statement over the staged lines: a bad date, an amount that is not
-- a decimal number or has more decimals than the currency, a currency other than the
-- account's (an empty ccy means the account's), neither ref nor id, fields beyond the
-- header, a ref, id or description longer than its api_limit (statement_ref_length,
-- statement_id_length, statement_description_length) fail the whole import with DX035, whose DETAIL lists the bad lines as `line N: field: reason` (the first
-- api_limit('problem_lines_shown'), then `and N more line(s)`; quoted values cut to
-- api_limit('problem_value_length') characters).
-- Idempotent: the same staged content, read with the same date_format, for the same account
-- again → status 'duplicate', the original import_id, nothing added. A line already imported from another file (the same
-- bank id; without an id the same date, ref and amount) is skipped, and counted in skipped.
-- Amounts are signed as the bank sees them: positive is money in.
-- Raises DX016, DX019, DX020 (account), DX035, DX036 (nothing staged), DX039 (date_format,
-- file_name).
-- Capability operate, on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.import_statement(
    account text,
    file_name text DEFAULT NULL,
    date_format text DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.statement_import_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal;
    v_account ledger_private.account;
    v_exponent smallint;
    v_pattern record;
    v_staging regclass := to_regclass('pg_temp.doublex_statement_staging');
    v_lines integer;
    v_fingerprint bytea;
    v_import ledger_private.statement_import;
    v_bad integer;
    v_detail text;
    v_import_id bigint;
    v_added integer;
BEGIN
    -- The scratch tables' shapes, for plpgsql_check (a string, nothing at run time).
    PERFORM 'PRAGMA:TABLE: doublex_statement_staging (line_no integer, line_date text, ref text, '
            'amount text, ccy text, description text, bank_id text, extra_fields integer)';
    PERFORM 'PRAGMA:TABLE: doublex_statement_parsed (line_no integer, line_date date, ref text, '
            'amount numeric, ccy text, description text, bank_id text, problems text)';
    v_who := ledger_private.authorize_write('operate', import_statement.tenant);
    import_statement.tenant := v_who.tenant;
    v_account := ledger_private.find_account(import_statement.tenant, import_statement.account);
    SELECT c.exponent INTO v_exponent FROM ledger_private.currency AS c WHERE c.code = v_account.ccy;
    IF char_length(import_statement.file_name) > ledger_private.api_limit('statement_file_name_length') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX039', COLUMN = 'file_name',
            MESSAGE = format('file_name: at most %s characters',
                             ledger_private.api_limit('statement_file_name_length'));
    END IF;
    v_pattern := ledger_private.date_format_pattern(import_statement.date_format);
    IF v_staging IS NULL OR NOT ledger_private.is_ledger_temp_table(v_staging) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX036', COLUMN = 'staging',
            MESSAGE = 'staging: no statement is staged in this transaction',
            HINT = 'Call ledger.stage_statement(), COPY the lines, then import, in one transaction.';
    END IF;

    -- The file's identity: its staged content, in line order, and how that text is read.
    -- The date format is the only reading of the staged text the caller chooses (the column
    -- mapping happens before staging, so it shows in the content; the currency and its
    -- decimals are the account's): the same file read with another format is another import,
    -- so a corrected format is not answered 'duplicate'. The default format adds nothing,
    -- which keeps the fingerprints of imports made before it counted.
    EXECUTE $q$
        SELECT count(*)::integer,
               sha256(convert_to(coalesce(
                   'date_format=' || nullif($1, 'YYYY-MM-DD') || chr(29), '') || coalesce(string_agg(
                   concat_ws(chr(31), s.line_no, quote_nullable(s.line_date), quote_nullable(s.ref),
                             quote_nullable(s.amount), quote_nullable(s.ccy),
                             quote_nullable(s.description), quote_nullable(s.bank_id),
                             s.extra_fields),
                   chr(30) ORDER BY s.line_no), ''), 'UTF8'))
          FROM pg_temp.doublex_statement_staging AS s
    $q$ INTO v_lines, v_fingerprint USING import_statement.date_format;
    IF v_lines = 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX035', COLUMN = 'statement',
            MESSAGE = 'statement: the file has no lines';
    END IF;

    SELECT i.* INTO v_import
      FROM ledger_private.statement_import AS i
     WHERE i.tenant = import_statement.tenant AND i.account_id = v_account.account_id
       AND i.fingerprint = v_fingerprint;
    IF FOUND THEN
        RETURN ROW(v_import.import_id, 'duplicate', v_account.code, v_import.lines, 0,
                   v_import.lines)::ledger.statement_import_result;
    END IF;

    -- Parse and check every line at once; problems lists what is wrong with a line.
    IF to_regclass('pg_temp.doublex_statement_parsed') IS NOT NULL THEN
        EXECUTE 'DROP TABLE pg_temp.doublex_statement_parsed';
    PERFORM ledger_private.append_audit(v_who, 'import_statement', v_account.code,
                                        jsonb_build_object('import_id', v_import_id,
                                                           'file_name', import_statement.file_name,
                                                           'lines', v_lines, 'added', v_added));
    END IF;
    EXECUTE $q$
        CREATE TEMP TABLE doublex_statement_parsed ON COMMIT DROP AS
        SELECT f.line_no,
               CASE WHEN dv.valid THEN make_date(dp.y, dp.m, dp.d) END AS line_date,
               f.ref,
               CASE WHEN a.number AND a.decimals <= $2 THEN round(f.amount::numeric, $2) END AS amount,
               $3::text AS ccy,
               f.description,
               f.bank_id,
               nullif(concat_ws('; ',
                   CASE WHEN f.line_date IS NULL THEN 'date: missing'
                        WHEN NOT dv.valid THEN format('date: %s is not a date (%s)',
                                                      quote_literal(left(f.line_date, $11)), $7) END,
                   CASE WHEN f.amount IS NULL THEN 'amount: missing'
                        WHEN NOT a.number THEN format('amount: %s is not a number',
                                                      quote_literal(left(f.amount, $11)))
                        WHEN a.decimals > $2 THEN format('amount: %s has more decimals than %s allows (%s)',
                                                         left(f.amount, $11), $3, $2) END,
                   CASE WHEN f.ccy IS NOT NULL AND f.ccy <> $3
                        THEN format('ccy: %s is not the account''s currency %s',
                                    quote_literal(left(f.ccy, $11)), $3) END,
                   CASE WHEN f.ref IS NULL AND f.bank_id IS NULL THEN 'ref: missing, and the line has no id' END,
                   CASE WHEN char_length(f.ref) > $8 THEN format('ref: longer than %s characters', $8) END,
                   CASE WHEN char_length(f.bank_id) > $9 THEN format('id: longer than %s characters', $9) END,
                   CASE WHEN char_length(f.description) > $10
                        THEN format('description: longer than %s characters', $10) END,
                   CASE WHEN f.extra_fields > 0 THEN format('%s field(s) more than the header', f.extra_fields) END
               ), '') AS problems
          FROM (SELECT s.line_no, nullif(btrim(s.line_date), '') AS line_date,
                       nullif(btrim(s.ref), '') AS ref, nullif(btrim(s.amount), '') AS amount,
                       upper(nullif(btrim(s.ccy), '')) AS ccy,
                       nullif(btrim(s.description), '') AS description,
                       nullif(btrim(s.bank_id), '') AS bank_id, s.extra_fields
                  FROM pg_temp.doublex_statement_staging AS s) AS f
          -- OFFSET 0 keeps each regular expression to one evaluation per line.
          CROSS JOIN LATERAL (SELECT coalesce(f.line_date ~ $1, false) AS ok OFFSET 0) AS dm
          CROSS JOIN LATERAL (
                SELECT CASE WHEN dm.ok THEN substr(f.line_date, $4, 4)::integer END AS y,
                       CASE WHEN dm.ok THEN substr(f.line_date, $5, 2)::integer END AS m,
                       CASE WHEN dm.ok THEN substr(f.line_date, $6, 2)::integer END AS d) AS dp
          CROSS JOIN LATERAL (
                SELECT CASE WHEN dp.y BETWEEN 1 AND 9999 AND dp.m BETWEEN 1 AND 12 AND dp.d >= 1
                            THEN dp.d <= extract(day FROM make_date(dp.y, dp.m, 1) + interval '1 month - 1 day')
                            ELSE false END AS valid) AS dv
          CROSS JOIN LATERAL (
                SELECT f.amount ~ '^[+-]?[0-9]+(\.[0-9]+)?$' AS number,
                       char_length(split_part(f.amount, '.', 2)) AS decimals OFFSET 0) AS a
    $q$ USING v_pattern.regex, v_exponent, v_account.ccy, v_pattern.year_at,
              v_pattern.month_at, v_pattern.day_at, coalesce(import_statement.date_format, 'YYYY-MM-DD'),
              ledger_private.api_limit('statement_ref_length'), ledger_private.api_limit('statement_id_length'),
              ledger_private.api_limit('statement_description_length'),
              ledger_private.api_limit('problem_value_length');

    -- The first problem_lines_shown bad lines, then how many more: the detail stays short
    -- whatever the file holds (each quoted value is cut to problem_value_length).
    EXECUTE $q$
        SELECT (SELECT count(*)::integer FROM pg_temp.doublex_statement_parsed AS p
                 WHERE p.problems IS NOT NULL),
               (SELECT string_agg(format('line %s: %s', p.line_no, p.problems), E'\n'
                                  ORDER BY p.line_no)
                  FROM (SELECT p.line_no, p.problems FROM pg_temp.doublex_statement_parsed AS p
                         WHERE p.problems IS NOT NULL ORDER BY p.line_no LIMIT $1) AS p)
    $q$ INTO v_bad, v_detail USING ledger_private.api_limit('problem_lines_shown');
    IF v_bad > ledger_private.api_limit('problem_lines_shown') THEN
        v_detail := v_detail || format(E'\nand %s more line(s)',
                                       v_bad - ledger_private.api_limit('problem_lines_shown'));
    END IF;
    IF v_bad > 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX035', COLUMN = 'statement',
            MESSAGE = format('statement: %s of %s line(s) are invalid; nothing was imported',
                             v_bad, v_lines),
            DETAIL = v_detail,
            HINT = 'Fix the lines listed and import the file again.';
    END IF;

    v_import_id := nextval(pg_get_serial_sequence('ledger_private.statement_import', 'import_id'));
    -- Lines already known (by bank id, or by date, ref and amount) are skipped, also when a
    -- file repeats one.
    EXECUTE $q$
        WITH added AS (
            INSERT INTO ledger_private.statement_line AS l
                   (tenant, account_id, import_id, line_no, line_date, ref, amount, ccy,
                    description, bank_id)
            SELECT $1, $2, $3, p.line_no, p.line_date, p.ref, p.amount, p.ccy, p.description,
                   p.bank_id
              FROM pg_temp.doublex_statement_parsed AS p
             ORDER BY p.line_no
            ON CONFLICT DO NOTHING
            RETURNING 1
        )
        SELECT count(*)::integer FROM added
    $q$ INTO v_added USING import_statement.tenant, v_account.account_id, v_import_id;

    INSERT INTO ledger_private.statement_import
           (import_id, tenant, account_id, fingerprint, file_name, lines, added, skipped)
    OVERRIDING SYSTEM VALUE
    VALUES (v_import_id, import_statement.tenant, v_account.account_id, v_fingerprint,
            import_statement.file_name, v_lines, v_added, v_lines - v_added);
    EXECUTE 'DROP TABLE pg_temp.doublex_statement_parsed';
    PERFORM ledger_private.append_audit(v_who, 'import_statement', v_account.code,
                                        jsonb_build_object('import_id', v_import_id,
                                                           'file_name', import_statement.file_name,
                                                           'lines', v_lines, 'added', v_added));

    RETURN ROW(v_import_id, 'imported', v_account.code, v_lines, v_added, v_lines - v_added)
        ::ledger.statement_import_result;
END
$$;

COMMENT ON FUNCTION ledger.import_statement(text, text, text, text) IS
    'Validates the staged statement lines and imports them, all or nothing, idempotently';
GRANT EXECUTE ON FUNCTION ledger.import_statement(text, text, text, text) TO doublex_api;
