-- ledger.fx_position: the ledger's open FX position, per currency, valued in a reporting
-- currency.
--
--   SELECT * FROM ledger.fx_position();                          -- now, in EUR
--   SELECT * FROM ledger.fx_position('2026-11-20', 'USD');
--   → ccy, clearing_account, position, reporting_ccy, rate, rate_valid_on, value
--
-- One row per FX clearing account of the tenant (FX-CLEARING-<ccy>, opened by the first
-- settlement in that currency), by currency. position is its balance on its normal side
-- (credit: positive = long, the ledger holds more of that currency than before its FX
-- settlements; negative = short). value = position × the latest rate of ccy in
-- reporting_ccy valid on the date (ledger.fx_rate's rule, direct or inverted), rounded
-- half-even to the reporting currency's exponent; the reporting currency itself has rate 1.
-- Without a rate, rate and value are NULL: the row is still reported.
-- as_of NULL   every posting, rates of the current business date
-- as_of date   postings with effective_date ≤ as_of, rates valid on as_of
-- Raises DX005 (unknown reporting currency), DX019 (tenant).
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.fx_position(
    as_of date DEFAULT NULL,
    reporting_ccy text DEFAULT 'EUR',
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.fx_position_line
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_exponent smallint;
    v_on date;
BEGIN
    fx_position.tenant := (ledger_private.authorize('read', fx_position.tenant)).tenant;
    v_on := coalesce(fx_position.as_of, ledger_private.default_effective_date(fx_position.tenant));
    SELECT c.exponent INTO v_exponent FROM ledger_private.currency AS c
     WHERE c.code = fx_position.reporting_ccy;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX005', COLUMN = 'reporting_ccy',
            MESSAGE = format('reporting_ccy: unknown currency %s', coalesce(fx_position.reporting_ccy, 'NULL')),
            HINT = 'Use an ISO 4217 code such as EUR, USD or JPY.';
    END IF;

    RETURN QUERY
    SELECT b.ccy, b.code, b.position, fx_position.reporting_ccy, q.rate, q.valid_on,
           ledger_private.round_half_even(b.position * q.rate, 1, v_exponent)
      FROM (SELECT a.ccy, a.code,
                   -- At the currency's scale, as get_balance answers (0 reads 0.00 in EUR).
                   round(ledger_private.normal_balance(a.normal_side, t.debits, t.credits),
                         c.exponent) AS position
              FROM ledger_private.account AS a
              JOIN ledger_private.currency AS c ON c.code = a.ccy
             CROSS JOIN LATERAL (
                    SELECT coalesce(sum(l.amount) FILTER (WHERE l.side = 'debit'), 0) AS debits,
                           coalesce(sum(l.amount) FILTER (WHERE l.side = 'credit'), 0) AS credits
                      FROM ledger_private.leg AS l
                     WHERE l.account_id = a.account_id AND l.effective_date <= fx_position.as_of
                    HAVING fx_position.as_of IS NOT NULL
                    UNION ALL
                    SELECT totals.debits, totals.credits
                      FROM ledger_private.account_totals(a.account_id) AS totals
                     WHERE fx_position.as_of IS NULL) AS t
             WHERE a.tenant = fx_position.tenant
               -- The accounts ledger_private.fx_clearing_account accepts.
               AND a.code = 'FX-CLEARING-' || a.ccy AND a.type = 'equity' AND a.allow_negative) AS b
     CROSS JOIN LATERAL (
            SELECT 1::numeric AS rate, NULL::date AS valid_on
             WHERE b.ccy = fx_position.reporting_ccy
            UNION ALL
            SELECT r.rate, r.valid_on
              FROM ledger_private.fx_quote_on(fx_position.tenant, b.ccy, fx_position.reporting_ccy,
                                              v_on, false) AS r
             WHERE b.ccy <> fx_position.reporting_ccy) AS q
     ORDER BY b.ccy;
END
$$;

COMMENT ON FUNCTION ledger.fx_position(date, text, text) IS
    'Open FX position per currency (clearing balances) valued in a reporting currency';
GRANT EXECUTE ON FUNCTION ledger.fx_position(date, text, text) TO doublex_api;
