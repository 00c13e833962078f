-- ledger.upsert_fx_rate: set the rate of a currency pair for a date (insert, or replace that
-- date's rate).
--
--   SELECT * FROM ledger.upsert_fx_rate('EUR', 'USD', 1.0852, '2026-11-20', 'ECB');
--   → base, quote, rate, valid_on, direction ('direct'), source
--
-- base, quote   ISO 4217 codes, different from each other; 1 base = rate quote
-- rate          positive, below 10^api_limit('fx_rate_digits'), at most
--               api_limit('fx_rate_decimals') decimals; stored as given
-- valid_on      the first date the rate applies to (until a later date has a rate)
-- source        where the rate comes from (1 to api_limit('fx_source_length') characters),
--               optional
-- Settlements copy the rate they used: replacing a rate never changes posted history.
-- Raises DX005 (unknown currency), DX016, DX019 (tenant), DX030 (rate, valid_on, source),
-- DX031 (base = quote).
-- Capability operate, on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.upsert_fx_rate(
    base text,
    quote text,
    rate numeric,
    valid_on date,
    source text DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.fx_quote
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal;
    v_quote ledger.fx_quote;
BEGIN
    v_who := ledger_private.authorize_write('operate', upsert_fx_rate.tenant);
    upsert_fx_rate.tenant := v_who.tenant;
    PERFORM ledger_private.check_fx_pair(upsert_fx_rate.base, upsert_fx_rate.quote);
    PERFORM ledger_private.check_fx_rate_value(upsert_fx_rate.rate, 'rate');
    IF upsert_fx_rate.valid_on IS NULL OR NOT isfinite(upsert_fx_rate.valid_on) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX030', COLUMN = 'valid_on',
            MESSAGE = format('valid_on: required, a date, got %s', coalesce(upsert_fx_rate.valid_on::text, 'NULL'));
    END IF;
    IF char_length(upsert_fx_rate.source) NOT BETWEEN 1 AND ledger_private.api_limit('fx_source_length') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX030', COLUMN = 'source',
            MESSAGE = format('source: 1 to %s characters, got %s', ledger_private.api_limit('fx_source_length'),
                             char_length(upsert_fx_rate.source));
    END IF;

    INSERT INTO ledger_private.fx_rate AS r (tenant, base, quote, valid_on, rate, source, updated_by)
    VALUES (upsert_fx_rate.tenant, upsert_fx_rate.base, upsert_fx_rate.quote, upsert_fx_rate.valid_on,
            upsert_fx_rate.rate, upsert_fx_rate.source, v_who.actor)
    ON CONFLICT ON CONSTRAINT fx_rate_pkey DO UPDATE
       SET rate = excluded.rate, source = excluded.source, updated_at = now(),
           updated_by = excluded.updated_by
    RETURNING r.base, r.quote, r.rate, r.valid_on, 'direct', r.source INTO v_quote;
    PERFORM ledger_private.append_audit(v_who, 'upsert_fx_rate', v_quote.base || '/' || v_quote.quote,
                                        jsonb_build_object('valid_on', v_quote.valid_on, 'rate', v_quote.rate,
                                                           'source', v_quote.source));
    RETURN v_quote;
END
$$;

COMMENT ON FUNCTION ledger.upsert_fx_rate(text, text, numeric, date, text, text) IS
    'Sets the rate of a currency pair for a date (insert or replace)';
GRANT EXECUTE ON FUNCTION ledger.upsert_fx_rate(text, text, numeric, date, text, text) TO doublex_api;
