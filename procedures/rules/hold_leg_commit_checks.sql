-- ledger_private.hold_leg_commit_checks() → trigger (deferred): a hold leg written outside
-- ledger.create_hold (a direct INSERT) keeps its account within its limits at commit
-- (ledger_private.check_account_limits: DX010, DX054). create_hold checks its own legs
-- inline and queues no event (the trigger's WHEN, migrations/0017_holds_and_limits.sql).

CREATE OR REPLACE FUNCTION ledger_private.hold_leg_commit_checks() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_private.check_account_limits(NEW.account_id, NEW.leg_no);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION ledger_private.hold_leg_commit_checks() IS
    'Constraint trigger (deferred): a directly inserted hold leg keeps its account within its limits';
