-- ledger_private.require_isolation(levels, what, hint): `what` runs only at one of these
-- isolation levels ('read committed', 'repeatable read', 'serializable'); at any other the
-- transaction is refused before anything is read. The one DX016 of every function that
-- needs a given isolation (require_serializable for writes, the roll-up, the close).
-- Raises DX016.

CREATE OR REPLACE FUNCTION ledger_private.require_isolation(p_levels text[], p_what text, p_hint text)
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> ALL (p_levels) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX016',
            MESSAGE = format('%s runs at %s, this transaction is %s', p_what,
                             upper(array_to_string(p_levels, ' or ')),
                             current_setting('transaction_isolation')),
            HINT = p_hint;
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.require_isolation(text[], text, text) IS
    'Raises DX016 unless the transaction runs at one of the given isolation levels';
