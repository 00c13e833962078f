-- ledger.recon_items: the matches and exceptions of the current reconciliation of a date,
-- a page at a time.
--
--   SELECT * FROM ledger.recon_items('2026-11-20', account => '1001-CASH');
--   SELECT kind, ref, delta FROM ledger.recon_items('2026-11-20', exceptions_only => true);
--   SELECT * FROM ledger.recon_items('2026-11-20', after_cursor => '<cursor of the last row>');
--
-- One row per match or exception, exceptions first (amount_mismatch, missing_in_ledger,
-- missing_in_bank), then matches, each by statement line number:
--   line, file_name, ref, description, bank_amount   the statement line (NULL for missing_in_bank)
--   journal_id, leg_no, journal_ref, ledger_amount   the leg, signed as the bank sees it
--                                                    (NULL for missing_in_ledger)
--   amount   the bank amount, or the ledger's where the bank has none
--   delta    bank − ledger (a missing side counts as 0)
--   cursor   this row's place: after_cursor => it starts the next page
-- exceptions_only   leave the matches out
-- page_size         1 to api_limit('page_size') rows (default 1000): a statement of 100,000
--                   lines is read in pages, never in one answer
-- Raises DX019 (cursor, page size), DX020 (account), DX038 (no run for that date), DX039 (no date).
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, the function's first statement, before anything is read).

CREATE OR REPLACE FUNCTION ledger.recon_items(
    business_date date,
    account text DEFAULT NULL,
    exceptions_only boolean DEFAULT false,
    after_cursor text DEFAULT NULL,
    page_size integer DEFAULT 1000,
    tenant text DEFAULT NULL
) RETURNS TABLE (
    account text, business_date date, kind text, match_pass smallint, line integer,
    file_name text, ref text, description text, bank_amount numeric, journal_id uuid,
    leg_no smallint, journal_ref text, ledger_amount numeric, amount numeric, delta numeric,
    cursor text
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT ledger_private.authorize('read', recon_items.tenant);
    SELECT ledger_private.check_page_size(recon_items.page_size);
    SELECT a.code, o.business_date, o.kind, o.match_pass, s.line_no, i.file_name,
           s.ref, s.description, o.bank_amount, o.journal_id, o.leg_no, j.ref,
           o.ledger_amount, coalesce(o.bank_amount, o.ledger_amount), o.delta,
           concat_ws('|', a.code, k.kind_rank, k.line_no, k.line_id, k.journal_id, k.leg_no)
      FROM ledger_private.authorize('read', recon_items.tenant) AS p,
           ledger_private.recon_cursor(recon_items.after_cursor) AS c,
           ledger_private.latest_recon_runs(p.tenant, recon_items.business_date,
                                            recon_items.account) AS r
      JOIN ledger_private.account AS a ON a.account_id = r.account_id
      JOIN ledger_private.recon_outcome AS o ON o.run_id = r.run_id
      LEFT JOIN ledger_private.statement_line AS s ON s.line_id = o.line_id
      LEFT JOIN ledger_private.statement_import AS i ON i.import_id = s.import_id
      LEFT JOIN ledger_private.journal AS j ON j.journal_id = o.journal_id
     CROSS JOIN LATERAL (
           SELECT array_position(ARRAY['amount_mismatch', 'missing_in_ledger', 'missing_in_bank',
                                       'matched'], o.kind) AS kind_rank,
                  coalesce(s.line_no, 0) AS line_no, coalesce(s.line_id, 0) AS line_id,
                  coalesce(o.journal_id, '00000000-0000-0000-0000-000000000000') AS journal_id,
                  coalesce(o.leg_no, 0) AS leg_no) AS k
     WHERE (NOT recon_items.exceptions_only OR o.kind <> 'matched')
       AND (a.code, k.kind_rank, k.line_no, k.line_id, k.journal_id, k.leg_no)
           > (c.code, c.kind_rank, c.line_no, c.line_id, c.journal_id, c.leg_no)
     ORDER BY a.code, k.kind_rank, k.line_no, k.line_id, k.journal_id, k.leg_no
     LIMIT recon_items.page_size;
$$;

COMMENT ON FUNCTION ledger.recon_items(date, text, boolean, text, integer, text) IS
    'Matches and exceptions of the current reconciliation of a date, exceptions first, a page at a time';
GRANT EXECUTE ON FUNCTION ledger.recon_items(date, text, boolean, text, integer, text) TO doublex_api;
