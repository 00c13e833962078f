-- ledger_private.check_page_size(page_size): pages hold 1 to api_limit('page_size') rows.
-- Raises DX019.

CREATE OR REPLACE FUNCTION ledger_private.check_page_size(p_page_size integer) RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF p_page_size IS NULL OR p_page_size NOT BETWEEN 1 AND ledger_private.api_limit('page_size') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX019', COLUMN = 'page_size',
            MESSAGE = format('page_size: must be between 1 and %s, got %s',
                             ledger_private.api_limit('page_size'), coalesce(p_page_size::text, 'NULL'));
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.check_page_size(integer) IS 'Raises DX019 for a page size outside 1 to api_limit(''page_size'')';
