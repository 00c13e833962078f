-- ledger_private.posting_fingerprint(operation, legs, effective_date, memo, ref, metadata,
-- reverses) → bytea: the canonical request of a journal posting and its fingerprint, as
-- the idempotency sentinel stores it. The one definition for every journal posting
-- (post_journal, both batch paths, reverse_journal, the journals of an FX settlement).
-- The legs must have passed normalize_legs' checks: then the jsonb value is canonical
-- (normalize_legs.sql says why). fingerprint_of hashes it.

CREATE OR REPLACE FUNCTION ledger_private.posting_fingerprint(
    p_operation text, p_legs jsonb, p_effective_date date, p_memo text, p_ref text,
    p_metadata jsonb, p_reverses uuid
) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT ledger_private.fingerprint_of(jsonb_build_object(
        'operation', p_operation,
        'legs', p_legs,
        'effective_date', p_effective_date,
        'memo', p_memo,
        'ref', p_ref,
        'metadata', coalesce(p_metadata, '{}'::jsonb),
        'reverses', p_reverses))
$$;

COMMENT ON FUNCTION ledger_private.posting_fingerprint(text, jsonb, date, text, text, jsonb, uuid) IS
    'Fingerprint of the canonical request of a journal posting';
