-- ledger_private.to_recon_summary(run, account) → the API's view of a reconciliation run.
-- unmatched counts the exceptions (an amount mismatch pairs a line and a leg and counts
-- once); difference = bank_total − ledger_total.

CREATE OR REPLACE FUNCTION ledger_private.to_recon_summary(
    p_run ledger_private.recon_run, p_account ledger_private.account
) RETURNS ledger.recon_summary
LANGUAGE sql STABLE
AS $$
    SELECT ROW(p_run.run_id, p_account.code, p_account.ccy, p_run.business_date, p_run.tolerance,
               p_run.ran_at, p_run.statement_lines, p_run.legs, p_run.matched,
               p_run.amount_mismatch + p_run.missing_in_ledger + p_run.missing_in_bank,
               p_run.amount_mismatch, p_run.missing_in_ledger, p_run.missing_in_bank,
               p_run.bank_total, p_run.ledger_total, p_run.bank_total - p_run.ledger_total
           )::ledger.recon_summary
$$;

COMMENT ON FUNCTION ledger_private.to_recon_summary(ledger_private.recon_run, ledger_private.account) IS
    'A reconciliation run as ledger.recon_summary';
