-- ledger_private.active_api_key(token) → the row of ledger_private.api_key a token names: a
-- token `dxk_<12 hex>.<64 hex>` whose key id is a key's, whose secret hashes to that key's
-- SHA-256, and whose key is neither revoked nor expired; no row otherwise. The one test of
-- a key (ledger_private.authorize, ledger.key_rate).
-- Shape by length and the dot only: the lookup does the rest (a key id matches only
-- dxk_<12 hex>, a secret only the stored hash). A regex here cost 20 µs a call. SQL, not
-- STRICT: inlined into its caller's query, so it stays one primary-key probe of a cached plan.

CREATE OR REPLACE FUNCTION ledger_private.active_api_key(p_token text)
RETURNS SETOF ledger_private.api_key
LANGUAGE sql STABLE
AS $$
    SELECT k.*
      FROM ledger_private.api_key AS k
     WHERE char_length(p_token) = 81 AND substr(p_token, 17, 1) = '.'
       AND k.key_id = left(p_token, 16)
       AND k.secret_hash = sha256(convert_to(substr(p_token, 18), 'UTF8'))
       AND k.revoked_at IS NULL
       AND (k.expires_at IS NULL OR k.expires_at > now())
$$;

COMMENT ON FUNCTION ledger_private.active_api_key(text) IS
    'The active (not revoked, not expired) API key a token names, if any';
