-- ledger_private.journal_check_balanced() → trigger: deferred constraint trigger on
-- journals, runs check_journal_balanced at commit.
-- (First defined in migrations/0003_invariant_triggers.sql; this file is its only home since.)

CREATE OR REPLACE FUNCTION ledger_private.journal_check_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_private.check_journal_balanced(NEW.journal_id);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION ledger_private.journal_check_balanced() IS
    'Constraint trigger (deferred): the journal is balanced at commit';
