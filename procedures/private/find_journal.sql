-- ledger_private.find_journal(tenant, journal_id) → the journal row, or DX013 naming the id.
-- The one lookup behind reading and reversing a journal by its id.

CREATE OR REPLACE FUNCTION ledger_private.find_journal(p_tenant text, p_journal_id uuid)
RETURNS ledger_private.journal
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_journal ledger_private.journal;
BEGIN
    SELECT j.* INTO v_journal
      FROM ledger_private.journal AS j
     WHERE j.journal_id = p_journal_id AND j.tenant = p_tenant;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX013', COLUMN = 'journal_id',
            MESSAGE = format('journal_id: no journal %s in tenant %s',
                             coalesce(p_journal_id::text, 'NULL'), p_tenant);
    END IF;
    RETURN v_journal;
END
$$;

COMMENT ON FUNCTION ledger_private.find_journal(text, uuid) IS
    'The journal with this id in the tenant, or DX013';
