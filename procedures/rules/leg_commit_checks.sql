-- ledger_private.leg_commit_checks() → trigger: deferred constraint trigger on legs:
-- journal balanced, non-negative policy.
--
-- At commit, for every leg: its journal is still balanced, and an account with
-- allow_negative = false is not below zero on its normal side.
-- (First defined in migrations/0003_invariant_triggers.sql; this file is its only home since.)

CREATE OR REPLACE FUNCTION ledger_private.leg_commit_checks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_private.check_journal_balanced(NEW.journal_id);
    IF ledger_private.journal_state(ledger_private.journal_slot(NEW.journal_id))
           -> 'constrained' @> to_jsonb(NEW.account_id) THEN
        PERFORM ledger_private.check_account_limits(NEW.account_id, NEW.leg_no);
    END IF;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION ledger_private.leg_commit_checks() IS
    'Constraint trigger (deferred): the leg''s journal is balanced and a non-negative account stays at or above zero';
