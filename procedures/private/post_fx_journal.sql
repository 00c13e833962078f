-- ledger_private.post_fx_journal(settlement, part, from_code, to_code, from_side, amount,
-- ccy) → journal id: one of the two journals of an FX
-- settlement ('source' or 'destination'), posted through post_journal_request like every
-- journal. `amount` of `ccy` leaves from_code (its leg on from_side) and arrives on
-- to_code (the other side). The journal's key is fx/<settlement id>/<part>; it carries
-- the settlement's date, memo and ref, and metadata linking it to the settlement and the
-- settlement's key.

CREATE OR REPLACE FUNCTION ledger_private.post_fx_journal(
    p_settlement ledger_private.fx_settlement, p_part text, p_from_code text, p_to_code text,
    p_from_side text, p_amount numeric, p_ccy text
) RETURNS uuid
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    RETURN (ledger_private.post_journal_request(
        p_settlement.tenant, format('fx/%s/%s', p_settlement.settlement_id, p_part),
        'post_fx_transfer',
        jsonb_build_array(
            jsonb_build_object('account', p_from_code, 'side', p_from_side,
                               'amount', p_amount::text, 'ccy', p_ccy),
            jsonb_build_object('account', p_to_code,
                               'side', CASE p_from_side WHEN 'debit' THEN 'credit' ELSE 'debit' END,
                               'amount', p_amount::text, 'ccy', p_ccy)),
        p_settlement.effective_date, p_settlement.memo, p_settlement.ref,
        jsonb_build_object('fx_settlement_id', p_settlement.settlement_id,
                           'fx_idempotency_key', p_settlement.idempotency_key),
        'fx', NULL)).journal_id;
END
$$;

COMMENT ON FUNCTION ledger_private.post_fx_journal(ledger_private.fx_settlement, text, text, text, text, numeric, text) IS
    'Posts one of the two journals of an FX settlement through the posting path';
