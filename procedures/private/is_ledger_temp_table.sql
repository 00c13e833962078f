-- ledger_private.is_ledger_temp_table(table): is this a temporary table of this session
-- owned by the ledger's owner? The reconciliation functions read and write scratch tables
-- in pg_temp; one with the same name that a caller created (and could have given row
-- security or triggers) must never be used in their place.

CREATE OR REPLACE FUNCTION ledger_private.is_ledger_temp_table(p_table regclass) RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT c.relpersistence = 't' AND c.relkind = 'r'
                            AND c.relowner = 'doublex_owner'::regrole
                            AND NOT c.relrowsecurity AND NOT c.relhastriggers
                       FROM pg_catalog.pg_class AS c
                      WHERE c.oid = p_table), false)
$$;

COMMENT ON FUNCTION ledger_private.is_ledger_temp_table(regclass) IS
    'True for a temporary, plain table owned by doublex_owner (the ledger''s scratch tables)';
