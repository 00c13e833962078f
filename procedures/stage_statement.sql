-- ledger.stage_statement: open this session's staging table for a statement import.
--
--   SELECT ledger.stage_statement();   -- → 'pg_temp.doublex_statement_staging'
--   COPY pg_temp.doublex_statement_staging (line_no, line_date, ref, amount, ccy, description, bank_id)
--        FROM STDIN (FORMAT csv);
--   SELECT * FROM ledger.import_statement('1001-CASH', 'statement.csv');
--
-- The application role has no table privileges, so it cannot COPY into a ledger table. This
-- function creates (or re-creates, empty) a temporary table owned by the ledger's owner,
-- visible only to this session and dropped at the end of the transaction, and grants the
-- application role INSERT and SELECT on it: enough to COPY, not enough to change its shape,
-- add triggers or row security. ledger.import_statement then reads it as its own table.
-- Every column is text: the import validates and converts each value and reports bad lines.
--   line_no        the line's number in the file (what error messages cite)
--   line_date, ref, amount, ccy, description, bank_id (the bank's own line id, optional)
--   extra_fields   how many fields the line has beyond its header (0 when it fits)
-- Call it, COPY and import in one transaction. Raises DX016, DX019, DX036 (a table of that
-- name exists and is not the ledger's).
-- Capability operate, on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.stage_statement(
    tenant text DEFAULT NULL
) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal;
    v_existing regclass := to_regclass('pg_temp.doublex_statement_staging');
BEGIN
    v_who := ledger_private.authorize_write('operate', stage_statement.tenant);
    stage_statement.tenant := v_who.tenant;
    IF v_existing IS NOT NULL THEN
        IF NOT ledger_private.is_ledger_temp_table(v_existing) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX036', COLUMN = 'staging',
                MESSAGE = 'staging: pg_temp.doublex_statement_staging exists and is not the ledger''s',
                HINT = 'Drop your own table of that name, then call ledger.stage_statement() again.';
        END IF;
        EXECUTE 'DROP TABLE pg_temp.doublex_statement_staging';
    END IF;
    -- Dynamic SQL: the table exists only at run time (and plpgsql_check cannot see it).
    EXECUTE 'CREATE TEMP TABLE doublex_statement_staging (
                 line_no      integer NOT NULL,
                 line_date    text,
                 ref          text,
                 amount       text,
                 ccy          text,
                 description  text,
                 bank_id      text,
                 extra_fields integer NOT NULL DEFAULT 0
             ) ON COMMIT DROP';
    EXECUTE 'GRANT INSERT, SELECT ON pg_temp.doublex_statement_staging TO doublex_api';
    RETURN 'pg_temp.doublex_statement_staging';
END
$$;

COMMENT ON FUNCTION ledger.stage_statement(text) IS
    'Creates this transaction''s statement staging table, which doublex_api may COPY into';
GRANT EXECUTE ON FUNCTION ledger.stage_statement(text) TO doublex_api;
