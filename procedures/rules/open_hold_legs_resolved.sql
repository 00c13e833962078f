-- ledger_private.open_hold_legs_resolved() → trigger (AFTER INSERT ON hold_resolution, per
-- statement, transition table `resolved`): a hold captured, voided or marked expired is no
-- longer open, so its legs leave ledger_private.open_hold_leg. A hold past expires_at that
-- the sweep has not marked yet keeps its open legs, which every reader skips
-- (hold_is_live), so it counts as released at expires_at whether or not the sweep ran.

CREATE OR REPLACE FUNCTION ledger_private.open_hold_legs_resolved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ledger_private.open_hold_leg AS o
     USING resolved AS r
     WHERE o.hold_id = r.hold_id;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION ledger_private.open_hold_legs_resolved() IS
    'Trigger: the legs of a resolved hold are no longer open';
