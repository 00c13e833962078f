-- ledger_private.checked_tenant(tenant) → tenant: the tenant, once check_tenant accepts it
-- (DX019 otherwise). Lets a reader that is one query take its tenant from this call, so
-- that nothing is read for a malformed tenant: ledger.get_account, ledger.get_journal,
-- ledger.fx_rate, ledger.balance_history, ledger.recon_mismatch_totals.

CREATE OR REPLACE FUNCTION ledger_private.checked_tenant(p_tenant text) RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    PERFORM ledger_private.check_tenant(p_tenant);
    RETURN p_tenant;
END
$$;

COMMENT ON FUNCTION ledger_private.checked_tenant(text) IS
    'The tenant itself, or DX019 when it is malformed (check_tenant)';
