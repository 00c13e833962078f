-- ledger_private.check_fx_pair(base, quote): both are known currencies (DX005 naming the
-- field) and differ (DX031).

CREATE OR REPLACE FUNCTION ledger_private.check_fx_pair(p_base text, p_quote text)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_field text;
    v_code text;
BEGIN
    FOREACH v_field IN ARRAY ARRAY['base', 'quote'] LOOP
        v_code := CASE v_field WHEN 'base' THEN p_base ELSE p_quote END;
        IF NOT EXISTS (SELECT FROM ledger_private.currency AS c WHERE c.code = v_code) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX005', COLUMN = v_field,
                MESSAGE = format('%s: unknown currency %s', v_field, coalesce(v_code, 'NULL')),
                HINT = 'Use an ISO 4217 code such as EUR, USD or JPY.';
        END IF;
    END LOOP;
    IF p_base = p_quote THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX031', COLUMN = 'quote',
            MESSAGE = format('quote: a rate needs two different currencies, got %s/%s', p_base, p_quote);
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.check_fx_pair(text, text) IS
    'Raises DX005 for an unknown currency and DX031 when base = quote';
