-- ledger.key_rate: the rate limit of the calling API key (any valid key, no capability).
--
--   SELECT set_config('doublex.api_key', 'dxk_3f9a0c61b2d4.…', true);
--   SELECT * FROM ledger.key_rate();
--   → key_id, requests_per_second, burst
--
-- The REST service calls it when it first sees a key, and again after at most
-- DOUBLEX_KEY_RATE_SECONDS, to fill the key's token bucket (api/rate_limit.py); the key is
-- the session's doublex.api_key, as for every API function, and is tested as
-- ledger_private.authorize tests it (ledger_private.active_api_key). It answers only the
-- key's own limit: nothing of its tenant's data. A login, an admin (no key), and a
-- malformed, unknown, revoked or expired key get DX040.

CREATE OR REPLACE FUNCTION ledger.key_rate()
RETURNS TABLE (key_id text, requests_per_second integer, burst integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
        SELECT k.key_id, k.requests_per_second, k.burst
          FROM ledger_private.active_api_key(current_setting('doublex.api_key', true)) AS k;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX040', COLUMN = 'api_key',
            MESSAGE = 'api_key: not a valid, active API key',
            HINT = 'ledger.key_rate answers the calling API key''s rate limit: set doublex.api_key '
                   'to a key token dxk_<id>.<secret>.';
    END IF;
END
$$;

COMMENT ON FUNCTION ledger.key_rate() IS
    'The calling API key''s rate limit (key_id, requests_per_second, burst); DX040 without a valid key';
GRANT EXECUTE ON FUNCTION ledger.key_rate() TO doublex_api;
