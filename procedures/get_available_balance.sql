-- ledger.get_available_balance: an account's posted, pending and available balance.
--
--   SELECT * FROM ledger.get_available_balance('2001-CARDHOLDER');
--   → account, ccy, posted, pending_debits, pending_credits, available, min_balance, max_balance
--
-- posted     the balance on the normal side of every posted leg (= ledger.get_balance)
-- pending_*  the legs of the account's pending holds (not captured, voided or expired)
-- available  posted minus the pending legs that would reduce it; pending legs that would
--            increase it do not count until captured. min_balance applies to it.
-- min_balance, max_balance  the limits in force (min_balance 0 for allow_negative = false)
-- Raises DX020 when there is no such account in the tenant.
-- Capability read (or audit), on the caller's own tenant (DX040–DX043, authorize first).

CREATE OR REPLACE FUNCTION ledger.get_available_balance(
    account text,
    tenant text DEFAULT NULL
) RETURNS ledger.available_balance
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant text := (ledger_private.authorize('read', get_available_balance.tenant)).tenant;
BEGIN
    RETURN ledger_private.to_available_balance(
        (ledger_private.find_account(v_tenant, get_available_balance.account)).account_id);
END
$$;

COMMENT ON FUNCTION ledger.get_available_balance(text, text) IS
    'Posted, pending (debits, credits) and available balance of an account, with its limits';
GRANT EXECUTE ON FUNCTION ledger.get_available_balance(text, text) TO doublex_api;
