-- ledger_private.fingerprint_of(request jsonb) → bytea: the SHA-256 of a canonical
-- request's JSON text, the fingerprint an idempotency sentinel stores. jsonb orders keys
-- and drops whitespace, so equal requests have equal text. Every idempotent operation
-- fingerprints through here (posting_fingerprint for journals, post_fx_transfer for a
-- settlement).

CREATE OR REPLACE FUNCTION ledger_private.fingerprint_of(p_request jsonb) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT sha256(convert_to(p_request::text, 'UTF8'))
$$;

COMMENT ON FUNCTION ledger_private.fingerprint_of(jsonb) IS
    'SHA-256 of a canonical request''s JSON text';
