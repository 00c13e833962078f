-- ledger.account_statement: an account's statement over a period, a page at a time.
--
--   SELECT * FROM ledger.account_statement('1001-CASH', '2026-11-01', '2026-11-30');
--   SELECT * FROM ledger.account_statement('1001-CASH', '2026-11-01', '2026-11-30',
--                                          after_cursor => '<cursor of the last leg row>');
--
-- Rows in statement order, each with its `kind`:
--   opening  (first page only) the balance at the end of from_date − 1: effective_date is
--            from_date, balance the opening balance
--   leg      every leg of the account effective in [from_date, to_date], by effective date,
--            then journal id (time ordered: the posting order), then leg number; with its
--            journal's created_at, kind, the journal it reverses (a reversal), memo and ref,
--            side and amount, and `balance`, the running balance after it
--   closing  (last page only) effective_date is to_date, balance the closing balance
--            (ledger.get_balance as of to_date), debits and credits the period's totals
-- Balances are on the account's normal side. Opening and closing come from ledger.get_balance
-- (a closed date is read from the account's snapshot, an open one live from the latest
-- snapshot plus the legs after it), so neither sums the account's history; a page that
-- starts after a cursor starts from the balance of the day before the cursor's date plus the
-- legs of that date up to the cursor. So every page costs its own legs, not the ones before.
-- after_cursor   the `cursor` of the previous page's last leg row
-- page_size      1 to api_limit('statement_page_legs') legs (default 1000); a page with
--                fewer legs, or whose legs end the period, ends with the closing row. (Larger
--                than other pages: a call costs a few milliseconds of its own, and the CLI
--                reads a year of 100,000 legs in ten calls, not a hundred.)
-- Raises DX019 (tenant, cursor, page size), DX020 (unknown account), DX029 (from_date or
-- to_date missing or infinite, from_date after to_date, more than api_limit('statement_days')
-- days).
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.account_statement(
    account text,
    from_date date,
    to_date date,
    after_cursor text DEFAULT NULL,
    page_size integer DEFAULT 1000,
    tenant text DEFAULT NULL
) RETURNS TABLE (
    kind text, effective_date date, journal_id uuid, leg_no smallint, created_at timestamptz,
    journal_kind text, reverses uuid, memo text, ref text, side text, amount numeric,
    debits numeric, credits numeric, balance numeric, cursor text
)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_account ledger_private.account;
    v_exponent smallint;
    v_after_date date := '-infinity'::date;
    v_after_journal uuid := '00000000-0000-0000-0000-000000000000'::uuid;
    v_after_leg smallint := 0;
    v_opening ledger.balance;
    v_closing ledger.balance;
    v_start numeric;
    v_legs bigint;
BEGIN
    account_statement.tenant := (ledger_private.authorize('read', account_statement.tenant)).tenant;
    IF account_statement.page_size IS NULL
       OR account_statement.page_size NOT BETWEEN 1 AND ledger_private.api_limit('statement_page_legs') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX019', COLUMN = 'page_size',
            MESSAGE = format('page_size: must be between 1 and %s, got %s',
                             ledger_private.api_limit('statement_page_legs'),
                             coalesce(account_statement.page_size::text, 'NULL'));
    END IF;
    PERFORM ledger_private.check_period(account_statement.from_date, account_statement.to_date,
                                        ledger_private.api_limit('statement_days'));
    IF account_statement.after_cursor IS NOT NULL THEN
        BEGIN
            v_after_date := split_part(account_statement.after_cursor, '_', 1)::date;
            v_after_journal := split_part(account_statement.after_cursor, '_', 2)::uuid;
            v_after_leg := split_part(account_statement.after_cursor, '_', 3)::smallint;
        EXCEPTION WHEN invalid_datetime_format OR invalid_text_representation
                       OR datetime_field_overflow OR numeric_value_out_of_range THEN
            v_after_date := NULL;
        END;
        IF v_after_date IS NULL OR split_part(account_statement.after_cursor, '_', 4) <> ''
           OR v_after_date NOT BETWEEN account_statement.from_date AND account_statement.to_date THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX019', COLUMN = 'cursor',
                MESSAGE = format('cursor: %s is not a cursor of this statement',
                                 quote_literal(left(account_statement.after_cursor, 100)));
        END IF;
    END IF;
    v_account := ledger_private.find_account(account_statement.tenant, account_statement.account);
    SELECT c.exponent INTO v_exponent FROM ledger_private.currency AS c WHERE c.code = v_account.ccy;

    IF account_statement.after_cursor IS NULL THEN
        v_opening := ledger.get_balance(v_account.code, account_statement.from_date - 1,
                                        account_statement.tenant);
        v_start := v_opening.balance;
        RETURN QUERY SELECT 'opening'::text, account_statement.from_date, NULL::uuid,
                            NULL::smallint, NULL::timestamptz, NULL::text, NULL::uuid, NULL::text,
                            NULL::text, NULL::text, NULL::numeric, NULL::numeric, NULL::numeric,
                            v_opening.balance, NULL::text;
    ELSE
        SELECT (ledger.get_balance(v_account.code, v_after_date - 1, account_statement.tenant)).balance
               + coalesce(sum(CASE WHEN l.side = v_account.normal_side THEN l.amount ELSE -l.amount END), 0)
          INTO v_start
          FROM ledger_private.leg AS l
         WHERE l.account_id = v_account.account_id
           AND l.effective_date = v_after_date
           AND (l.journal_id, l.leg_no) <= (v_after_journal, v_after_leg);
    END IF;

    -- The page's legs (one range of the leg_account_history index) and their running balance.
    RETURN QUERY
        SELECT 'leg'::text, p.effective_date, p.journal_id, p.leg_no, j.created_at, j.kind,
               j.reverses, j.memo, j.ref, p.side, round(p.amount, v_exponent), NULL::numeric,
               NULL::numeric,
               round(v_start + sum(CASE WHEN p.side = v_account.normal_side THEN p.amount
                                        ELSE -p.amount END)
                                   OVER (ORDER BY p.effective_date, p.journal_id, p.leg_no
                                         ROWS UNBOUNDED PRECEDING), v_exponent),
               format('%s_%s_%s', to_char(p.effective_date, 'YYYY-MM-DD'), p.journal_id, p.leg_no)
          FROM (SELECT l.effective_date, l.journal_id, l.leg_no, l.side, l.amount
                  FROM ledger_private.leg AS l
                 WHERE l.account_id = v_account.account_id
                   AND l.effective_date BETWEEN account_statement.from_date AND account_statement.to_date
                   AND (l.effective_date, l.journal_id, l.leg_no) > (v_after_date, v_after_journal, v_after_leg)
                 ORDER BY l.effective_date, l.journal_id, l.leg_no
                 LIMIT account_statement.page_size) AS p
          JOIN ledger_private.journal AS j ON j.journal_id = p.journal_id
         ORDER BY p.effective_date, p.journal_id, p.leg_no;
    GET DIAGNOSTICS v_legs = ROW_COUNT;

    -- The closing row ends the last page: one with fewer legs than page_size, or a full one
    -- after which the period has no leg.
    IF v_legs < account_statement.page_size OR NOT EXISTS (
        SELECT 1
          FROM ledger_private.leg AS l
         WHERE l.account_id = v_account.account_id
           AND l.effective_date BETWEEN account_statement.from_date AND account_statement.to_date
           AND (l.effective_date, l.journal_id, l.leg_no) > (v_after_date, v_after_journal, v_after_leg)
         ORDER BY l.effective_date, l.journal_id, l.leg_no
        OFFSET account_statement.page_size
    ) THEN
        v_closing := ledger.get_balance(v_account.code, account_statement.to_date,
                                        account_statement.tenant);
        IF account_statement.after_cursor IS NOT NULL THEN
            v_opening := ledger.get_balance(v_account.code, account_statement.from_date - 1,
                                            account_statement.tenant);
        END IF;
        RETURN QUERY SELECT 'closing'::text, account_statement.to_date, NULL::uuid,
                            NULL::smallint, NULL::timestamptz, NULL::text, NULL::uuid, NULL::text,
                            NULL::text, NULL::text, NULL::numeric,
                            v_closing.debits - v_opening.debits, v_closing.credits - v_opening.credits,
                            v_closing.balance, NULL::text;
    END IF;
END
$$;

COMMENT ON FUNCTION ledger.account_statement(text, date, date, text, integer, text) IS
    'An account''s statement over a period: opening balance, every leg with its running balance, closing balance; keyset-paginated';
GRANT EXECUTE ON FUNCTION ledger.account_statement(text, date, date, text, integer, text) TO doublex_api;
