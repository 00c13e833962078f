-- ledger.recon_run: reconcile an account's statement lines with its legs for one business date.
--
--   SELECT * FROM ledger.recon_run('1001-CASH', '2026-11-20');                    -- ±0.01
--   SELECT * FROM ledger.recon_run('1001-CASH', '2026-11-20', tolerance => 0.05);
--   → the run's summary (ledger.recon_summary); ledger.recon_items() lists its outcomes
--
-- The bank side: the account's statement lines dated business_date. The ledger side: the
-- account's legs with that effective date, signed as the bank sees them (a debit to the
-- account is money in, +; a credit is money out, −), each carrying its journal's ref.
-- Pass 1  same ref (journal ref = statement ref): lines and legs paired one to one,
--         smallest amount difference first; a pair within the tolerance is matched, any
--         other is an amount_mismatch exception with delta = bank − ledger (neither side is
--         reported again).
-- Pass 2  the lines and legs left: amounts within the tolerance, one to one, smallest
--         difference first, ties by date, then line id, then journal id and leg number.
-- Then    every line left is missing_in_ledger, every leg left missing_in_bank.
-- The tolerance is inclusive (0.01 matches a difference of 0.01, not of 0.011). Every line
-- ends in exactly one match or exception, every leg in at most one. A re-run replaces the
-- account-date's previous outcomes; every run is kept in the run log with its counts.
-- Set-based throughout: scratch tables in pg_temp, window functions, no per-row loop.
-- The tolerance is 0 to api_limit('recon_tolerance_max') units of the account's currency.
-- Raises DX016, DX019, DX020 (account), DX037 (tolerance), DX039 (business_date).
-- Capability operate, on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.recon_run(
    account text,
    business_date date,
    tolerance numeric DEFAULT 0.01,
    tenant text DEFAULT NULL
) RETURNS ledger.recon_summary
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal;
    v_account ledger_private.account;
    v_scratch text;
    v_table regclass;
    v_run ledger_private.recon_run;
BEGIN
    -- The scratch tables' shapes, for plpgsql_check (strings, nothing at run time).
    PERFORM 'PRAGMA:TABLE: doublex_recon_line (line_id bigint, line_date date, ref text, amount numeric)';
    PERFORM 'PRAGMA:TABLE: doublex_recon_leg (journal_id uuid, leg_no smallint, ref text, amount numeric)';
    PERFORM 'PRAGMA:TABLE: doublex_recon_open_leg (journal_id uuid, leg_no smallint, amount numeric)';
    PERFORM 'PRAGMA:TABLE: doublex_recon_edge (line_id bigint, line_date date, journal_id uuid, '
            'leg_no smallint, diff numeric, delta numeric)';
    PERFORM 'PRAGMA:TABLE: doublex_recon_pair (line_id bigint, journal_id uuid, leg_no smallint, '
            'match_pass smallint, delta numeric)';
    v_who := ledger_private.authorize_write('operate', recon_run.tenant);
    recon_run.tenant := v_who.tenant;
    v_account := ledger_private.find_account(recon_run.tenant, recon_run.account);
    IF recon_run.business_date IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX039', COLUMN = 'business_date',
            MESSAGE = 'business_date: required';
    END IF;
    IF recon_run.tolerance IS NULL OR recon_run.tolerance < 0 OR recon_run.tolerance = 'NaN'
       OR recon_run.tolerance > ledger_private.api_limit('recon_tolerance_max') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX037', COLUMN = 'tolerance',
            MESSAGE = format('tolerance: %s is not an amount from 0 to %s',
                             coalesce(left(recon_run.tolerance::text, 40), 'NULL'),
                             ledger_private.api_limit('recon_tolerance_max')),
            HINT = 'The largest amount difference that still matches, e.g. 0.01.';
    END IF;
    -- Runs of one account and date queue here; the unique indexes of recon_outcome would
    -- refuse the second of two concurrent runs anyway.
    PERFORM pg_advisory_xact_lock(hashtext('doublex.recon'),
                                  hashtext(format('%s/%s/%s', recon_run.tenant,
                                                  v_account.account_id, recon_run.business_date)));

    FOREACH v_scratch IN ARRAY ARRAY['doublex_recon_line', 'doublex_recon_leg',
                                     'doublex_recon_edge', 'doublex_recon_pair'] LOOP
        v_table := to_regclass('pg_temp.' || v_scratch);
        IF v_table IS NOT NULL THEN
            IF NOT ledger_private.is_ledger_temp_table(v_table) THEN
                RAISE EXCEPTION USING
                    ERRCODE = 'DX036', COLUMN = 'staging',
                    MESSAGE = format('staging: pg_temp.%s exists and is not the ledger''s', v_scratch),
                    HINT = 'Drop your own table of that name first.';
            END IF;
            EXECUTE format('DROP TABLE pg_temp.%I', v_scratch);
        END IF;
    END LOOP;

    -- Both sides of the account and date, amounts signed as the bank sees them.
    EXECUTE $q$
        CREATE TEMP TABLE doublex_recon_line ON COMMIT DROP AS
        SELECT s.line_id, s.line_date, s.ref, s.amount
          FROM ledger_private.statement_line AS s
         WHERE s.account_id = $1 AND s.line_date = $2
    $q$ USING v_account.account_id, recon_run.business_date;
    EXECUTE $q$
        CREATE TEMP TABLE doublex_recon_leg ON COMMIT DROP AS
        SELECT l.journal_id, l.leg_no, j.ref,
               ledger_private.signed_amount(l.side, l.amount) AS amount
          FROM ledger_private.leg AS l
          JOIN ledger_private.journal AS j ON j.journal_id = l.journal_id
         WHERE l.account_id = $1 AND l.effective_date = $2
    $q$ USING v_account.account_id, recon_run.business_date;
    EXECUTE 'CREATE TEMP TABLE doublex_recon_pair (line_id bigint, journal_id uuid, leg_no smallint,
                                                    match_pass smallint, delta numeric) ON COMMIT DROP';

    -- Pass 1: every same-ref pair is a candidate, whatever the amounts.
    EXECUTE $q$
        CREATE TEMP TABLE doublex_recon_edge ON COMMIT DROP AS
        SELECT s.line_id, s.line_date, g.journal_id, g.leg_no,
               abs(s.amount - g.amount) AS diff, s.amount - g.amount AS delta
          FROM pg_temp.doublex_recon_line AS s
          JOIN pg_temp.doublex_recon_leg AS g ON g.ref = s.ref
    $q$;
    PERFORM ledger_private.recon_pair_greedy(1::smallint);

    -- Pass 2, exact amounts first: among the lines and legs of one amount, the k-th line
    -- (by date and id) and the k-th leg (by journal id and leg number) are what the greedy
    -- order pairs, and pairs of difference 0 come before any other.
    EXECUTE $q$
        INSERT INTO pg_temp.doublex_recon_pair (line_id, journal_id, leg_no, match_pass, delta)
        SELECT s.line_id, g.journal_id, g.leg_no, 2, 0
          FROM (SELECT s.line_id, s.amount,
                       row_number() OVER (PARTITION BY s.amount ORDER BY s.line_date, s.line_id) AS rank
                  FROM pg_temp.doublex_recon_line AS s
                 WHERE s.line_id NOT IN (SELECT p.line_id FROM pg_temp.doublex_recon_pair AS p)) AS s
          JOIN (SELECT g.journal_id, g.leg_no, g.amount,
                       row_number() OVER (PARTITION BY g.amount ORDER BY g.journal_id, g.leg_no) AS rank
                  FROM pg_temp.doublex_recon_leg AS g
                 WHERE (g.journal_id, g.leg_no) NOT IN (SELECT p.journal_id, p.leg_no
                                                          FROM pg_temp.doublex_recon_pair AS p)) AS g
            ON g.amount = s.amount AND g.rank = s.rank
    $q$;
    -- Then differences up to the tolerance: the open legs indexed by amount, so that each
    -- open line finds its candidates with one range scan.
    IF recon_run.tolerance > 0 THEN
        EXECUTE 'TRUNCATE pg_temp.doublex_recon_edge';
        EXECUTE $q$
            CREATE TEMP TABLE doublex_recon_open_leg ON COMMIT DROP AS
            SELECT g.journal_id, g.leg_no, g.amount
              FROM pg_temp.doublex_recon_leg AS g
             WHERE (g.journal_id, g.leg_no) NOT IN (SELECT p.journal_id, p.leg_no
                                                      FROM pg_temp.doublex_recon_pair AS p)
        $q$;
        EXECUTE 'CREATE INDEX ON pg_temp.doublex_recon_open_leg (amount)';
        EXECUTE 'ANALYZE pg_temp.doublex_recon_open_leg';
        EXECUTE $q$
            INSERT INTO pg_temp.doublex_recon_edge (line_id, line_date, journal_id, leg_no, diff, delta)
            SELECT s.line_id, s.line_date, g.journal_id, g.leg_no,
                   abs(s.amount - g.amount), s.amount - g.amount
              FROM pg_temp.doublex_recon_line AS s
              JOIN pg_temp.doublex_recon_open_leg AS g
                ON g.amount BETWEEN s.amount - $1 AND s.amount + $1
             WHERE s.line_id NOT IN (SELECT p.line_id FROM pg_temp.doublex_recon_pair AS p)
        $q$ USING recon_run.tolerance;
        EXECUTE 'DROP TABLE pg_temp.doublex_recon_open_leg';
        PERFORM ledger_private.recon_pair_greedy(2::smallint);
    END IF;

    -- The outcome replaces the account-date's previous one; the run joins the log.
    DELETE FROM ledger_private.recon_outcome AS o
     WHERE o.account_id = v_account.account_id AND o.business_date = recon_run.business_date;
    EXECUTE $q$
        INSERT INTO ledger_private.recon_run AS r
               (tenant, account_id, business_date, tolerance, statement_lines, legs, matched,
                amount_mismatch, missing_in_ledger, missing_in_bank, bank_total, ledger_total)
        SELECT $1, $2, $3, $4,
               (SELECT count(*) FROM pg_temp.doublex_recon_line),
               (SELECT count(*) FROM pg_temp.doublex_recon_leg),
               count(*) FILTER (WHERE p.match_pass = 2 OR abs(p.delta) <= $4),
               count(*) FILTER (WHERE p.match_pass = 1 AND abs(p.delta) > $4),
               (SELECT count(*) FROM pg_temp.doublex_recon_line) - count(*),
               (SELECT count(*) FROM pg_temp.doublex_recon_leg) - count(*),
               round((SELECT coalesce(sum(s.amount), 0) FROM pg_temp.doublex_recon_line AS s), $5),
               round((SELECT coalesce(sum(g.amount), 0) FROM pg_temp.doublex_recon_leg AS g), $5)
          FROM pg_temp.doublex_recon_pair AS p
        RETURNING r.*
    $q$ INTO v_run
    USING recon_run.tenant, v_account.account_id, recon_run.business_date, recon_run.tolerance,
          ledger_private.currency_exponent(v_account.ccy);
    EXECUTE $q$
        INSERT INTO ledger_private.recon_outcome
               (run_id, tenant, account_id, business_date, kind, match_pass, line_id, journal_id,
                leg_no, bank_amount, ledger_amount, delta)
        SELECT $1, $2, $3, $4,
               CASE WHEN p.match_pass = 2 OR abs(p.delta) <= $5 THEN 'matched' ELSE 'amount_mismatch' END,
               p.match_pass, p.line_id, p.journal_id, p.leg_no, s.amount, g.amount, p.delta
          FROM pg_temp.doublex_recon_pair AS p
          JOIN pg_temp.doublex_recon_line AS s ON s.line_id = p.line_id
          JOIN pg_temp.doublex_recon_leg AS g ON g.journal_id = p.journal_id AND g.leg_no = p.leg_no
        UNION ALL
        SELECT $1, $2, $3, $4, 'missing_in_ledger', NULL, s.line_id, NULL, NULL, s.amount, NULL, s.amount
          FROM pg_temp.doublex_recon_line AS s
         WHERE s.line_id NOT IN (SELECT p.line_id FROM pg_temp.doublex_recon_pair AS p)
        UNION ALL
        SELECT $1, $2, $3, $4, 'missing_in_bank', NULL, NULL, g.journal_id, g.leg_no, NULL, g.amount,
               -g.amount
          FROM pg_temp.doublex_recon_leg AS g
         WHERE (g.journal_id, g.leg_no) NOT IN (SELECT p.journal_id, p.leg_no
                                                  FROM pg_temp.doublex_recon_pair AS p)
    $q$ USING v_run.run_id, recon_run.tenant, v_account.account_id, recon_run.business_date,
              recon_run.tolerance;

    FOREACH v_scratch IN ARRAY ARRAY['doublex_recon_line', 'doublex_recon_leg',
                                     'doublex_recon_edge', 'doublex_recon_pair'] LOOP
        EXECUTE format('DROP TABLE pg_temp.%I', v_scratch);
    END LOOP;
    PERFORM ledger_private.append_audit(v_who, 'recon_run', v_account.code,
                                        jsonb_build_object('run_id', v_run.run_id,
                                                           'business_date', v_run.business_date));
    RETURN ledger_private.to_recon_summary(v_run, v_account);
END
$$;

COMMENT ON FUNCTION ledger.recon_run(text, date, numeric, text) IS
    'Matches an account''s statement lines and legs of a date (ref, then amount) and records exceptions';
GRANT EXECUTE ON FUNCTION ledger.recon_run(text, date, numeric, text) TO doublex_api;
