-- ledger_private.posting_fingerprint(operation, legs, effective_date, memo, ref, metadata,
-- reverses, conditions) → bytea: the canonical request of a journal posting and its fingerprint, as
-- the idempotency sentinel stores it. The one definition for every journal posting
-- (post_journal, both batch paths, reverse_journal, the journals of an FX settlement).
-- The legs must have passed normalize_legs' checks: then the jsonb value is canonical
-- (normalize_legs.sql says why). conditions is normalize_conditions' canonical array; a
-- request without them (NULL) has no conditions key at all, so its fingerprint is the one
-- it had before conditions existed. fingerprint_of hashes it.

CREATE OR REPLACE FUNCTION ledger_private.posting_fingerprint(
    p_operation text, p_legs jsonb, p_effective_date date, p_memo text, p_ref text,
    p_metadata jsonb, p_reverses uuid, p_conditions jsonb DEFAULT NULL
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
        'reverses', p_reverses)
        || jsonb_strip_nulls(jsonb_build_object('conditions', p_conditions)))
$$;

COMMENT ON FUNCTION ledger_private.posting_fingerprint(text, jsonb, date, text, text, jsonb, uuid, jsonb) IS
    'Fingerprint of the canonical request of a journal posting';
