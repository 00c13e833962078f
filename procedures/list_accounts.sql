-- ledger.list_accounts: accounts ordered by code, a page at a time.
--
--   SELECT * FROM ledger.list_accounts();                       -- first page
--   SELECT * FROM ledger.list_accounts(after_code => '1001-CASH', page_size => 50);
--
-- after_code   keyset cursor: the last code of the previous page
-- page_size    1–1000 (default 100)
-- Raises DX019 (malformed tenant), DX019 for a page size out of range.
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.list_accounts(
    after_code text DEFAULT NULL,
    page_size integer DEFAULT 100,
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.account_info
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    list_accounts.tenant := (ledger_private.authorize('read', list_accounts.tenant)).tenant;
    PERFORM ledger_private.check_page_size(list_accounts.page_size);
    RETURN QUERY
        SELECT (ledger_private.to_account_info(a)).*
          FROM ledger_private.account AS a
         WHERE a.tenant = list_accounts.tenant
           AND (list_accounts.after_code IS NULL OR a.code > list_accounts.after_code)
         ORDER BY a.code
         LIMIT list_accounts.page_size;
END
$$;

COMMENT ON FUNCTION ledger.list_accounts(text, integer, text) IS 'Accounts by code, keyset-paginated';
GRANT EXECUTE ON FUNCTION ledger.list_accounts(text, integer, text) TO doublex_api;
