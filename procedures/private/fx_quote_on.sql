-- ledger_private.fx_quote_on(tenant, base, quote, on, required) → the rate of base in quote
-- valid on `on`: the stored pair with the latest valid_on ≤ on ('direct'), or the inverse
-- pair's rate as 1/rate rounded half-even to api_limit('fx_rate_decimals') ('inverted'), whichever is valid
-- from the later date; on the same date the stored pair wins. No rate: NULL, or DX032 when
-- `required`.
-- Each side is one backward step of the primary key (tenant, base, quote, valid_on).

CREATE OR REPLACE FUNCTION ledger_private.fx_quote_on(
    p_tenant text, p_base text, p_quote text, p_on date, p_required boolean
) RETURNS ledger.fx_quote
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_quote ledger.fx_quote;
BEGIN
    SELECT c.base, c.quote, c.rate, c.valid_on, c.direction, c.source INTO v_quote
      FROM ((SELECT r.base, r.quote, r.rate, r.valid_on, 'direct' AS direction, r.source, 0 AS preference
               FROM ledger_private.fx_rate AS r
              WHERE r.tenant = p_tenant AND r.base = p_base AND r.quote = p_quote AND r.valid_on <= p_on
              ORDER BY r.valid_on DESC
              LIMIT 1)
            UNION ALL
            (SELECT p_base, p_quote, ledger_private.round_half_even(1, r.rate, ledger_private.api_limit('fx_rate_decimals')), r.valid_on,
                    'inverted', r.source, 1
               FROM ledger_private.fx_rate AS r
              WHERE r.tenant = p_tenant AND r.base = p_quote AND r.quote = p_base AND r.valid_on <= p_on
              ORDER BY r.valid_on DESC
              LIMIT 1)) AS c
     ORDER BY c.valid_on DESC, c.preference
     LIMIT 1;
    IF NOT FOUND AND p_required THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX032', COLUMN = 'rate',
            MESSAGE = format('rate: no %s/%s rate (nor %s/%s) valid on or before %s in tenant %s',
                             p_base, p_quote, p_quote, p_base, p_on, p_tenant),
            HINT = 'Set one with ledger.upsert_fx_rate(), or pass an explicit rate.';
    END IF;
    RETURN v_quote;
END
$$;

COMMENT ON FUNCTION ledger_private.fx_quote_on(text, text, text, date, boolean) IS
    'Latest direct or inverted rate of a pair valid on a date; NULL or DX032 when none';
