-- ledger.list_journals: journals by effective date, then id, a page at a time.
--
--   SELECT * FROM ledger.list_journals('2026-11-01', '2026-11-30', account => '1001-CASH');
--   SELECT * FROM ledger.list_journals(after_cursor => '<cursor of the last row>');
--
-- from_date, to_date   inclusive bounds on the effective date (NULL: open)
-- account              only journals with a leg on this account
-- after_cursor         keyset cursor: the `cursor` column of the previous page's last row
-- page_size            1–1000 (default 100)
-- A page also stops after the journal whose legs bring it to api_limit('page_legs') (it
-- holds at least one journal): 1,000 journals of 500 legs would be half a million legs.
-- So a page shorter than page_size whose legs reach page_legs may have a next page.
-- Raises DX019 (malformed tenant), DX019 (bad cursor or page size), DX020 (unknown account).
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.list_journals(
    from_date date DEFAULT NULL,
    to_date date DEFAULT NULL,
    account text DEFAULT NULL,
    after_cursor text DEFAULT NULL,
    page_size integer DEFAULT 100,
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.journal_entry
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_account_id bigint;
    v_after_date date := '-infinity'::date;
    v_after_id uuid := '00000000-0000-0000-0000-000000000000'::uuid;
BEGIN
    list_journals.tenant := (ledger_private.authorize('read', list_journals.tenant)).tenant;
    PERFORM ledger_private.check_page_size(list_journals.page_size);
    IF list_journals.after_cursor IS NOT NULL THEN
        BEGIN
            v_after_date := split_part(list_journals.after_cursor, '_', 1)::date;
            v_after_id := split_part(list_journals.after_cursor, '_', 2)::uuid;
        EXCEPTION WHEN invalid_datetime_format OR invalid_text_representation
                       OR datetime_field_overflow THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX019', COLUMN = 'cursor',
                MESSAGE = format('cursor: %s is not a cursor returned by list_journals',
                                 quote_literal(list_journals.after_cursor));
        END;
    END IF;
    IF list_journals.account IS NOT NULL THEN
        v_account_id := (ledger_private.find_account(list_journals.tenant, list_journals.account)).account_id;
    END IF;
    -- The page's (date, id) keys: driven by the account's legs when there is an account (in
    -- the same order as the journal index), else by the tenant's journals; one arm runs.
    -- Then each journal's legs, and the page stops after the journal that reaches page_legs.
    RETURN QUERY
        SELECT (ledger_private.to_journal_entry(j)).*
          FROM (SELECT p.effective_date, p.journal_id,
                       sum(c.legs) OVER (ORDER BY p.effective_date, p.journal_id) - c.legs
                           AS legs_before
                  FROM ((SELECT DISTINCT l.effective_date, l.journal_id
                           FROM ledger_private.leg AS l
                          WHERE v_account_id IS NOT NULL
                            AND l.account_id = v_account_id
                            AND (l.effective_date, l.journal_id) > (v_after_date, v_after_id)
                            AND l.effective_date >= coalesce(list_journals.from_date, '-infinity')
                            AND l.effective_date <= coalesce(list_journals.to_date, 'infinity')
                          ORDER BY l.effective_date, l.journal_id
                          LIMIT list_journals.page_size)
                        UNION ALL
                        (SELECT j.effective_date, j.journal_id
                           FROM ledger_private.journal AS j
                          WHERE v_account_id IS NULL
                            AND j.tenant = list_journals.tenant
                            AND (j.effective_date, j.journal_id) > (v_after_date, v_after_id)
                            AND j.effective_date >= coalesce(list_journals.from_date, '-infinity')
                            AND j.effective_date <= coalesce(list_journals.to_date, 'infinity')
                          ORDER BY j.effective_date, j.journal_id
                          LIMIT list_journals.page_size)) AS p
                 CROSS JOIN LATERAL (SELECT count(*) AS legs FROM ledger_private.leg AS g
                                      WHERE g.journal_id = p.journal_id) AS c) AS page
          JOIN ledger_private.journal AS j ON j.journal_id = page.journal_id
         WHERE page.legs_before < ledger_private.api_limit('page_legs')
         ORDER BY page.effective_date, page.journal_id;
END
$$;

COMMENT ON FUNCTION ledger.list_journals(date, date, text, text, integer, text) IS
    'Journals by effective date and id, filtered by dates and account, keyset-paginated';
GRANT EXECUTE ON FUNCTION ledger.list_journals(date, date, text, text, integer, text) TO doublex_api;
