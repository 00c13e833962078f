-- ledger.monitor_fx_clearing(): the ledger_fx_clearing gauge (postgres_exporter).
--
--   SELECT * FROM ledger.monitor_fx_clearing();
--   → one row per FX clearing account: tenant, ccy, position (credit-normal: positive =
--     long), the bank's open FX position
--
-- The balance is the ledger's own: ledger_private.account_totals (checkpoint plus the legs
-- above the tenant's watermark), so it stays cheap however many settlements went through
-- the clearing account. Only accounts of the clearing shape count (equity, may go negative),
-- the accounts ledger_private.fx_clearing_account accepts, as in ledger.fx_position, and
-- the position is their balance on the normal side (ledger_private.normal_balance), as there.
-- Granted to doublex_monitor only: the monitoring role reads no table itself.

CREATE OR REPLACE FUNCTION ledger.monitor_fx_clearing()
RETURNS TABLE (tenant text, ccy text, "position" numeric)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.tenant, a.ccy, ledger_private.normal_balance(a.normal_side, t.debits, t.credits) AS position
      FROM ledger_private.account AS a
     CROSS JOIN LATERAL ledger_private.account_totals(a.account_id) AS t
     WHERE a.code = 'FX-CLEARING-' || a.ccy AND a.type = 'equity' AND a.allow_negative
$$;

COMMENT ON FUNCTION ledger.monitor_fx_clearing() IS
    'Monitoring: FX clearing account balances per tenant and currency (positive = long)';
GRANT EXECUTE ON FUNCTION ledger.monitor_fx_clearing() TO doublex_monitor;
