-- ledger_private.require_serializable(): write functions refuse to run below SERIALIZABLE,
-- the isolation level the ledger's invariants (idempotency, non-negative balances) rely on.
-- Raises DX016.

CREATE OR REPLACE FUNCTION ledger_private.require_serializable() RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'serializable' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX016',
            MESSAGE = format('ledger writes need SERIALIZABLE isolation, this transaction is %s',
                             current_setting('transaction_isolation')),
            DETAIL = 'Idempotency and balance policies are exact only under SERIALIZABLE.',
            HINT = 'Connect as doublex_app (serializable by default) or BEGIN ISOLATION LEVEL SERIALIZABLE.';
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.require_serializable() IS 'Raises DX016 below SERIALIZABLE';
