-- ledger_private.open_hold_legs_resolved() → trigger (AFTER INSERT ON hold_resolution, per
-- statement, transition table `resolved`): a hold captured, voided or marked expired is no
-- longer open, so its legs leave ledger_private.open_hold_leg. A hold past expires_at that
-- the sweep has not marked yet keeps its open legs, which every reader skips
-- (hold_is_live), so it counts as released at expires_at whether or not the sweep ran.
-- enable_seqscan off: the table is small (open holds only), so the planner would scan it
-- whole, and under SERIALIZABLE a whole-table read is a predicate lock on the relation that
-- every concurrent hold writes into: captures and holds would fail with 40001 by the
-- hundred (make bench-holds). Through the primary key it reads the index pages of its own
-- hold's legs.

CREATE OR REPLACE FUNCTION ledger_private.open_hold_legs_resolved() RETURNS trigger
LANGUAGE plpgsql
SET enable_seqscan = off
AS $$
BEGIN
    DELETE FROM ledger_private.open_hold_leg AS o
     USING resolved AS r
     WHERE o.hold_id = r.hold_id;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION ledger_private.open_hold_legs_resolved() IS
    'Trigger: the legs of a resolved hold are no longer open';
