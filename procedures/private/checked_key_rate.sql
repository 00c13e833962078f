-- ledger_private.checked_key_rate(requests_per_second, burst) → integer[]: a key's rate limit
-- as {requests_per_second, burst}, both 1 to api_limit('key_rate_max') and
-- api_limit('key_burst_max'). NULL requests_per_second is api_limit('key_rate_default');
-- NULL burst is twice the rate, at most key_burst_max. Raises DX046
-- (ledger.create_api_key, ledger.set_api_key_rate).

CREATE OR REPLACE FUNCTION ledger_private.checked_key_rate(p_requests_per_second integer, p_burst integer)
RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_rate integer := coalesce(p_requests_per_second, ledger_private.api_limit('key_rate_default'));
BEGIN
    IF v_rate NOT BETWEEN 1 AND ledger_private.api_limit('key_rate_max') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX046', COLUMN = 'requests_per_second',
            MESSAGE = format('requests_per_second: must be 1 to %s, got %s',
                             ledger_private.api_limit('key_rate_max'), v_rate),
            HINT = 'Omit it for the default of a new key (key_rate_default in ledger.api_limits()).';
    END IF;
    IF p_burst IS NOT NULL AND p_burst NOT BETWEEN 1 AND ledger_private.api_limit('key_burst_max') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX046', COLUMN = 'burst',
            MESSAGE = format('burst: must be 1 to %s, got %s',
                             ledger_private.api_limit('key_burst_max'), p_burst),
            HINT = 'Omit it for twice the rate.';
    END IF;
    RETURN ARRAY[v_rate, coalesce(p_burst, least(2 * v_rate, ledger_private.api_limit('key_burst_max')))];
END
$$;

COMMENT ON FUNCTION ledger_private.checked_key_rate(integer, integer) IS
    'A key''s {requests_per_second, burst} with the defaults applied, or DX046';
