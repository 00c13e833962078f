-- ledger_private.to_fx_settlement_result(settlement, status) → the API row of a settlement,
-- with its accounts' codes: what post_fx_transfer answers, first time ('posted') and on
-- replay ('duplicate').

CREATE OR REPLACE FUNCTION ledger_private.to_fx_settlement_result(
    p_settlement ledger_private.fx_settlement, p_status text
) RETURNS ledger.fx_settlement_result
LANGUAGE sql STABLE
AS $$
    SELECT ROW(p_settlement.settlement_id, p_status, p_settlement.idempotency_key,
               (SELECT a.code FROM ledger_private.account AS a WHERE a.account_id = p_settlement.from_account_id),
               (SELECT a.code FROM ledger_private.account AS a WHERE a.account_id = p_settlement.to_account_id),
               p_settlement.source_ccy, p_settlement.destination_ccy, p_settlement.source_amount,
               p_settlement.destination_amount, p_settlement.rate, p_settlement.rate_basis,
               p_settlement.rate_valid_on, p_settlement.fixed_side, p_settlement.residual,
               p_settlement.residual_ccy, p_settlement.source_journal_id,
               p_settlement.destination_journal_id, p_settlement.effective_date,
               p_settlement.created_at)::ledger.fx_settlement_result
$$;

COMMENT ON FUNCTION ledger_private.to_fx_settlement_result(ledger_private.fx_settlement, text) IS
    'The API row of an FX settlement with the given status';
