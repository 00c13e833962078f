-- ledger_private.authorize_write(capability, tenant) → principal: what every write function
-- does first: authorize (DX019, DX040-DX043), then require SERIALIZABLE (DX016), then enter
-- the tenant's writes (ledger_private.enter_tenant_writes: DX067 while a move fences
-- them). The caller is refused before a weak isolation is reported, so a stranger learns
-- nothing else.
-- Under SERIALIZABLE (every write that goes on) the isolation is read inline, as in
-- post_journal_request, without the nested calls of require_serializable.

CREATE OR REPLACE FUNCTION ledger_private.authorize_write(p_capability text, p_tenant text)
RETURNS ledger_private.principal
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize(p_capability, p_tenant);
BEGIN
    IF current_setting('transaction_isolation') <> 'serializable' THEN
        PERFORM ledger_private.require_serializable();
    END IF;
    PERFORM ledger_private.enter_tenant_writes(v_who.tenant);
    RETURN v_who;
END
$$;

COMMENT ON FUNCTION ledger_private.authorize_write(text, text) IS
    'authorize, DX016 below SERIALIZABLE, then the tenant''s write fence: the opening of every write function';
