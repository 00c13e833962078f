-- ledger_private.require_serializable(): write functions refuse to run below SERIALIZABLE,
-- the isolation level the ledger's invariants (idempotency, non-negative balances) rely on.
-- Raises DX016 (require_isolation).

CREATE OR REPLACE FUNCTION ledger_private.require_serializable() RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM ledger_private.require_isolation(
        ARRAY['serializable'], 'a ledger write',
        'Idempotency and balance policies are exact only under SERIALIZABLE: connect as '
        'doublex_app (serializable by default) or BEGIN ISOLATION LEVEL SERIALIZABLE.');
END
$$;

COMMENT ON FUNCTION ledger_private.require_serializable() IS 'Raises DX016 below SERIALIZABLE';
