-- ledger_private.event_of_audit(audit line): recon.finished, from the audit line a
-- reconciliation run appends (its actor; details.run_id names the run): the account, date,
-- tolerance, counts and exceptions (amount mismatches plus lines and legs missing on the
-- other side), totals as strings.

CREATE OR REPLACE FUNCTION ledger_private.event_of_audit(p_row jsonb)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT ledger_private.emit_event(
        r.tenant, 'recon.finished', p.actor,
        jsonb_build_object(
            'run_id', r.run_id, 'account', p.object, 'business_date', r.business_date,
            'tolerance', r.tolerance::text, 'statement_lines', r.statement_lines, 'legs', r.legs,
            'matched', r.matched, 'amount_mismatch', r.amount_mismatch,
            'missing_in_ledger', r.missing_in_ledger, 'missing_in_bank', r.missing_in_bank,
            'exceptions', r.amount_mismatch + r.missing_in_ledger + r.missing_in_bank,
            'bank_total', r.bank_total::text, 'ledger_total', r.ledger_total::text))
      FROM jsonb_populate_record(NULL::ledger_private.audit_log, p_row) AS p
      JOIN ledger_private.recon_run AS r ON r.run_id = (p.details ->> 'run_id')::bigint
     WHERE p.action = 'recon_run';
$$;

COMMENT ON FUNCTION ledger_private.event_of_audit(jsonb) IS
    'Queues recon.finished from a reconciliation run''s audit line';
