-- ledger_private.open_hold_legs_added() → trigger (AFTER INSERT ON hold_leg, per statement,
-- transition table `added`): the legs of a hold that has no resolution become open hold
-- legs (ledger_private.open_hold_leg, migrations/0019_open_holds_and_pending_at_close.sql),
-- with the hold's expires_at. For every writer but ledger.create_hold, which writes its
-- open legs itself in the statement that writes the legs (it knows expires_at, and reads
-- neither the hold nor its resolution back: reads of those indexes' newest pages, which
-- every concurrent hold and capture writes into, would make concurrent holds fail with
-- 40001); the trigger's WHEN stands it aside while create_hold vouches for its rows
-- (doublex.checked_inline = 'on'). So the open legs are always the full scan's pending
-- legs (pgtap/24_open_holds.sql proves it). One statement per INSERT, whatever its rows.

CREATE OR REPLACE FUNCTION ledger_private.open_hold_legs_added() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_private.open_hold_leg (hold_id, leg_no, tenant, account_id, side, amount, expires_at)
    SELECT a.hold_id, a.leg_no, a.tenant, a.account_id, a.side, a.amount, h.expires_at
      FROM added AS a
      JOIN ledger_private.hold AS h ON h.hold_id = a.hold_id
     WHERE NOT EXISTS (SELECT FROM ledger_private.hold_resolution AS r WHERE r.hold_id = a.hold_id);
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION ledger_private.open_hold_legs_added() IS
    'Trigger: the legs of an unresolved hold become open hold legs';
