-- ledger.recon_items: the matches and exceptions of the current reconciliation of a date.
--
--   SELECT * FROM ledger.recon_items('2026-11-20', account => '1001-CASH');
--   SELECT kind, ref, delta FROM ledger.recon_items('2026-11-20') WHERE kind <> 'matched';
--
-- One row per match or exception, exceptions first (amount_mismatch, missing_in_ledger,
-- missing_in_bank), then matches, each by statement line number:
--   line, file_name, ref, description, bank_amount   the statement line (NULL for missing_in_bank)
--   journal_id, leg_no, journal_ref, ledger_amount   the leg, signed as the bank sees it
--                                                    (NULL for missing_in_ledger)
--   amount   the bank amount, or the ledger's where the bank has none
--   delta    bank − ledger (a missing side counts as 0)
-- Raises DX019 (tenant), DX020 (account), DX038 (no run for that date), DX039 (no date).
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.recon_items(
    business_date date,
    account text DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.recon_item
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    recon_items.tenant := (ledger_private.authorize('read', recon_items.tenant)).tenant;
    RETURN QUERY
        SELECT a.code, o.business_date, o.kind, o.match_pass, s.line_no, i.file_name,
               s.ref, s.description, o.bank_amount, o.journal_id, o.leg_no, j.ref,
               o.ledger_amount, coalesce(o.bank_amount, o.ledger_amount), o.delta
          FROM ledger_private.latest_recon_runs(recon_items.tenant, recon_items.business_date,
                                                recon_items.account) AS r
          JOIN ledger_private.account AS a ON a.account_id = r.account_id
          JOIN ledger_private.recon_outcome AS o ON o.run_id = r.run_id
          LEFT JOIN ledger_private.statement_line AS s ON s.line_id = o.line_id
          LEFT JOIN ledger_private.statement_import AS i ON i.import_id = s.import_id
          LEFT JOIN ledger_private.journal AS j ON j.journal_id = o.journal_id
         ORDER BY a.code,
                  array_position(ARRAY['amount_mismatch', 'missing_in_ledger', 'missing_in_bank',
                                       'matched'], o.kind),
                  s.line_no, s.line_id, o.journal_id, o.leg_no;
END
$$;

COMMENT ON FUNCTION ledger.recon_items(date, text, text) IS
    'Matches and exceptions of the current reconciliation of a date, exceptions first';
GRANT EXECUTE ON FUNCTION ledger.recon_items(date, text, text) TO doublex_api;
