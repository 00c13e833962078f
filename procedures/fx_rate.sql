-- ledger.fx_rate: the rate of a currency pair on a date.
--
--   SELECT * FROM ledger.fx_rate('EUR', 'USD');                  -- current business date
--   SELECT * FROM ledger.fx_rate('USD', 'EUR', '2026-11-20');    -- via EUR/USD: 'inverted'
--   → base, quote, rate, valid_on, direction ('direct' | 'inverted'), source
--
-- The latest rate valid on or before on_date: the stored pair ('direct'), or the inverse pair
-- as 1/rate rounded half-even to api_limit('fx_rate_decimals') decimals ('inverted'), whichever is valid from the later
-- date (on the same date the stored pair wins). valid_on says which day's rate it is.
-- on_date NULL → the tenant's current business date (as for postings).
-- Raises DX005 (unknown currency), DX019 (tenant), DX031 (base = quote), DX032 (no rate).
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.fx_rate(
    base text,
    quote text,
    on_date date DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.fx_quote
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant text := (ledger_private.authorize('read', fx_rate.tenant)).tenant;
BEGIN
    PERFORM ledger_private.check_fx_pair(fx_rate.base, fx_rate.quote);
    RETURN ledger_private.fx_quote_on(
        v_tenant, fx_rate.base, fx_rate.quote,
        coalesce(fx_rate.on_date, ledger_private.default_effective_date(v_tenant)), true);
END
$$;

COMMENT ON FUNCTION ledger.fx_rate(text, text, date, text) IS
    'Latest rate of a pair valid on a date: direct, or inverted (1/rate, half-even, as many decimals as a rate)';
GRANT EXECUTE ON FUNCTION ledger.fx_rate(text, text, date, text) TO doublex_api;
