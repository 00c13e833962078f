-- ledger_private.event_of_fx_settlement(settlement): fx.settled, the settlement of an FX
-- transfer (its two journals have their own journal.posted events): accounts, amounts and
-- rate as strings, the fixed side and residual, both journal ids.

CREATE OR REPLACE FUNCTION ledger_private.event_of_fx_settlement(p_row jsonb)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    SELECT ledger_private.emit_event(
        p.tenant, 'fx.settled', p.created_by,
        jsonb_build_object(
            'settlement_id', p.settlement_id, 'idempotency_key', p.idempotency_key,
            'from_account', (SELECT a.code FROM ledger_private.account AS a
                              WHERE a.account_id = p.from_account_id),
            'to_account', (SELECT a.code FROM ledger_private.account AS a
                            WHERE a.account_id = p.to_account_id),
            'source_amount', p.source_amount::text, 'source_ccy', p.source_ccy,
            'destination_amount', p.destination_amount::text, 'destination_ccy', p.destination_ccy,
            'rate', p.rate::text, 'rate_basis', p.rate_basis, 'fixed_side', p.fixed_side,
            'residual', p.residual::text, 'residual_ccy', p.residual_ccy,
            'source_journal_id', p.source_journal_id,
            'destination_journal_id', p.destination_journal_id,
            'effective_date', p.effective_date))
      FROM jsonb_populate_record(NULL::ledger_private.fx_settlement, p_row) AS p;
$$;

COMMENT ON FUNCTION ledger_private.event_of_fx_settlement(jsonb) IS
    'Queues fx.settled';
