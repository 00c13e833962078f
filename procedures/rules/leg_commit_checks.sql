-- ledger_private.leg_commit_checks() → trigger: deferred constraint trigger on legs:
-- journal balanced, account limits.
--
-- At commit, for every leg: its journal is still balanced, and an account with limits
-- (min_balance, max_balance, allow_negative = false) is within them
-- (ledger_private.check_account_limits).
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
    'Constraint trigger (deferred): the leg''s journal is balanced and an account with limits stays within them';
