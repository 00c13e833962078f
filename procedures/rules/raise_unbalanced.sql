-- ledger_private.raise_unbalanced(journal_id, unbalanced): raises DX009 for the currencies
-- listed.
--
-- DX009 for a journal whose debits and credits differ in the currencies listed.
-- (First defined in migrations/0003_invariant_triggers.sql; this file is its only home since.)

CREATE OR REPLACE FUNCTION ledger_private.raise_unbalanced(p_journal_id uuid, p_unbalanced text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'DX009', COLUMN = 'legs',
        MESSAGE = 'legs: debits and credits differ in ' || p_unbalanced,
        DETAIL = format('journal %s', p_journal_id),
        HINT = 'Per currency, the debit amounts must add up to the credit amounts.';
END
$$;

COMMENT ON FUNCTION ledger_private.raise_unbalanced(uuid, text) IS
    'Raises DX009 for a journal whose debits and credits differ in the currencies listed';
