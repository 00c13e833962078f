-- ledger_private.check_page_size(page_size): pages hold 1 to 1000 rows. Raises DX019.

CREATE OR REPLACE FUNCTION ledger_private.check_page_size(p_page_size integer) RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF p_page_size IS NULL OR p_page_size NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX019', COLUMN = 'page_size',
            MESSAGE = format('page_size: must be between 1 and 1000, got %s',
                             coalesce(p_page_size::text, 'NULL'));
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.check_page_size(integer) IS 'Raises DX019 outside 1–1000';
