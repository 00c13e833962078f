-- ledger_private.post_fx_journal(tenant, settlement_id, settlement_key, part, from_code,
-- to_code, from_side, amount, ccy, effective_date, memo, ref, actor) → journal id: one of the two
-- journals of an FX settlement (part 'source' or 'destination'), posted through
-- post_journal_request like every journal. `amount` of `ccy` leaves from_code (its leg on
-- from_side) and arrives on to_code (the other side). The journal's key is
-- fx/<settlement_id>/<part>; its metadata links it to the settlement and its key.
-- Scalar arguments, not the settlement's row type: rolling back migration 0008 drops that
-- table, and nothing of procedures/ may depend on it then.

CREATE OR REPLACE FUNCTION ledger_private.post_fx_journal(
    p_tenant text, p_settlement_id uuid, p_settlement_key text, p_part text,
    p_from_code text, p_to_code text, p_from_side text, p_amount numeric, p_ccy text,
    p_effective_date date, p_memo text, p_ref text, p_actor text
) RETURNS uuid
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    RETURN (ledger_private.post_journal_request(
        p_tenant, format('fx/%s/%s', p_settlement_id, p_part), 'post_fx_transfer',
        jsonb_build_array(
            jsonb_build_object('account', p_from_code, 'side', p_from_side,
                               'amount', p_amount::text, 'ccy', p_ccy),
            jsonb_build_object('account', p_to_code,
                               'side', CASE p_from_side WHEN 'debit' THEN 'credit' ELSE 'debit' END,
                               'amount', p_amount::text, 'ccy', p_ccy)),
        p_effective_date, p_memo, p_ref,
        jsonb_build_object('fx_settlement_id', p_settlement_id, 'fx_idempotency_key', p_settlement_key),
        'fx', NULL, p_actor)).journal_id;
END
$$;

COMMENT ON FUNCTION ledger_private.post_fx_journal(text, uuid, text, text, text, text, text, numeric, text, date, text, text, text) IS
    'Posts one of the two journals of an FX settlement through the posting path';
