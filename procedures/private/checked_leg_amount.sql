-- ledger_private.checked_leg_amount(tenant, account_id, leg_no, ccy, amount) → numeric: the
-- row checks of a hold leg (rules/hold_leg_before_insert.sql), the same a journal's leg passes
-- in rules/leg_before_insert.sql: an account of the tenant (DX006), a known currency (DX005),
-- the account's currency (DX008), an active account (DX007), no more decimals than the
-- currency has (DX004). Returns the amount at the currency's scale.

CREATE OR REPLACE FUNCTION ledger_private.checked_leg_amount(
    p_tenant text, p_account_id bigint, p_leg_no integer, p_ccy text, p_amount numeric
) RETURNS numeric
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_account record;
BEGIN
    SELECT a.code, a.ccy, a.status, c.exponent INTO v_account
      FROM ledger_private.account AS a
      LEFT JOIN ledger_private.currency AS c ON c.code = p_ccy
     WHERE a.account_id = p_account_id AND a.tenant = p_tenant;
    IF NOT FOUND THEN
        PERFORM ledger_private.raise_leg_error(
            'DX006', p_leg_no, 'account', format('no account with id %s in tenant %s', p_account_id, p_tenant));
    END IF;
    IF v_account.exponent IS NULL THEN
        PERFORM ledger_private.raise_leg_error(
            'DX005', p_leg_no, 'ccy', format('unknown currency %s', p_ccy),
            'Use an ISO 4217 code such as EUR, USD or JPY.');
    END IF;
    IF p_ccy <> v_account.ccy THEN
        PERFORM ledger_private.raise_leg_error(
            'DX008', p_leg_no, 'ccy',
            format('account %s holds %s, the leg is in %s', v_account.code, v_account.ccy, p_ccy));
    END IF;
    IF v_account.status <> 'active' THEN
        PERFORM ledger_private.raise_leg_error(
            'DX007', p_leg_no, 'account',
            format('account %s is %s; only active accounts hold funds', v_account.code, v_account.status));
    END IF;
    IF scale(p_amount) > v_account.exponent THEN
        PERFORM ledger_private.raise_leg_error(
            'DX004', p_leg_no, 'amount',
            format('%s has more decimals than %s allows (%s)', p_amount, p_ccy, v_account.exponent));
    END IF;
    RETURN round(p_amount, v_account.exponent);
END
$$;

COMMENT ON FUNCTION ledger_private.checked_leg_amount(text, bigint, integer, text, numeric) IS
    'Row checks of a hold leg (account, currency, status, decimals); the amount at the currency''s scale';
