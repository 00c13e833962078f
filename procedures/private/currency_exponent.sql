-- ledger_private.currency_exponent(ccy) → smallint: the number of decimals of a currency
-- (EUR 2, JPY 0, BHD 3), NULL for an unknown code. What a bank-side function rounds its
-- amounts and totals to: ledger.recon_run, ledger.import_statement.

CREATE OR REPLACE FUNCTION ledger_private.currency_exponent(p_ccy text) RETURNS smallint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT c.exponent FROM ledger_private.currency AS c WHERE c.code = p_ccy
$$;

COMMENT ON FUNCTION ledger_private.currency_exponent(text) IS
    'Decimals of a currency (NULL when unknown)';
