-- ledger_private.checked_webhook_url(url) → text: a webhook endpoint's URL, checked: http or
-- https, a host without credentials (no `user:password@`), no spaces or control characters,
-- at most api_limit('webhook_url_length') characters. Raises DX059 (column url) otherwise.
-- Which hosts the worker may reach (loopback, private networks) is the worker's check at
-- connect time (DOUBLEX_WEBHOOK_ALLOW_PRIVATE, README "Webhooks"): a name's addresses can
-- change after this check.

CREATE OR REPLACE FUNCTION ledger_private.checked_webhook_url(p_url text) RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF p_url IS NULL
       OR char_length(p_url) > ledger_private.api_limit('webhook_url_length')
       OR p_url !~* '^https?://[^/?#@[:space:][:cntrl:]]+([/?#][^[:space:][:cntrl:]]*)?$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX059', COLUMN = 'url',
            MESSAGE = format('url: must be an http or https URL of at most %s characters with a '
                             'host and no credentials, got %s',
                             ledger_private.api_limit('webhook_url_length'),
                             coalesce(quote_literal(left(p_url, ledger_private.api_limit('problem_value_length'))), 'NULL')),
            HINT = 'E.g. https://hooks.example.com/doublex';
    END IF;
    RETURN p_url;
END
$$;

COMMENT ON FUNCTION ledger_private.checked_webhook_url(text) IS
    'A webhook URL checked (http/https, a host, no credentials, bounded length); DX059 otherwise';
