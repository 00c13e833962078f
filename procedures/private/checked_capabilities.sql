-- ledger_private.checked_capabilities(capabilities) → text[]: a capability list of a key or
-- login, each of read, post, operate, admin, audit, at least one; answered without repeats
-- in that canonical order. Raises DX044.

CREATE OR REPLACE FUNCTION ledger_private.checked_capabilities(p_capabilities text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_known constant text[] := ARRAY['read', 'post', 'operate', 'admin', 'audit'];
BEGIN
    IF p_capabilities IS NULL OR cardinality(p_capabilities) = 0
       OR NOT p_capabilities <@ v_known OR array_position(p_capabilities, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX044', COLUMN = 'capabilities',
            MESSAGE = format('capabilities: must be one or more of read, post, operate, admin, audit, got %s',
                             coalesce(p_capabilities::text, 'NULL')),
            HINT = 'read: balances, journals, reports; post: transfers; operate: closes, settings, rates, '
                   'reconciliation; admin: accounts and keys; audit: read-only, the audit log included.';
    END IF;
    RETURN ARRAY(SELECT k FROM unnest(v_known) WITH ORDINALITY AS u (k, n)
                  WHERE k = ANY (p_capabilities) ORDER BY n);
END
$$;

COMMENT ON FUNCTION ledger_private.checked_capabilities(text[]) IS
    'A valid capability list in canonical order, or DX044';
