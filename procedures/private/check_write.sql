-- ledger_private.check_write(tenant): what every write function checks before it reads
-- anything: the transaction is SERIALIZABLE (require_serializable, DX016) and the tenant
-- is well formed (check_tenant, DX019), in that order.

CREATE OR REPLACE FUNCTION ledger_private.check_write(p_tenant text) RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    PERFORM ledger_private.require_serializable();
    PERFORM ledger_private.check_tenant(p_tenant);
END
$$;

COMMENT ON FUNCTION ledger_private.check_write(text) IS
    'Raises DX016 below SERIALIZABLE, then DX019 for a malformed tenant';
