-- Open holds kept apart, and pending totals at the close (issue #17).
--
-- 1. What a balance reads of the holds grows with the holds that are open, not with every
--    hold ever made.
-- hold, hold_leg and hold_resolution are append-only (0017), so reading an account's
-- pending legs from them scans every hold leg the account ever had. open_hold_leg is the
-- mutable copy of the legs of the holds without a resolution: a row per leg, with the
-- hold's expires_at, written when the leg is (by ledger.create_hold in the same statement,
-- by trigger hold_leg_opens for any other writer) and deleted when the hold is captured,
-- voided or marked expired (trigger hold_resolution_closes). Readers
-- (pending_totals, the expiry sweep) skip the rows past expires_at (hold_is_live), so an
-- expired hold counts as released whether or not the sweep ran; the sweep deletes them.
-- Between them every writer is covered, direct INSERTs included, so open_hold_leg always
-- equals the full scan (pgtap/24_open_holds.sql). Existing open holds are copied in here.
-- 2. account_snapshot.pending_debits / pending_credits: an account's pending hold legs when
--    the close was taken (ledger_private.close_business_date). Holds survive a close
--    unchanged and snapshots keep posted balances; these record what was pending beside
--    them. NULL in the snapshots of closes taken before this migration (not recorded).
-- Trigger functions are re-applied from procedures/rules/ by post-apply.
-- depends: 0018_balance_pending_and_limits

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

-- No foreign keys, as for hold_leg: its rows come from hold_leg through the trigger only.
CREATE TABLE ledger_private.open_hold_leg (
    hold_id    uuid NOT NULL,
    leg_no     smallint NOT NULL,
    tenant     text NOT NULL,
    account_id bigint NOT NULL,
    side       text NOT NULL,
    amount     numeric NOT NULL,
    expires_at timestamptz,
    PRIMARY KEY (hold_id, leg_no)
);
-- pending_totals: an account's open legs.
CREATE INDEX open_hold_leg_by_account ON ledger_private.open_hold_leg (account_id);
-- ledger.expire_holds: the open holds of a tenant that can expire.
CREATE INDEX open_hold_leg_expiring ON ledger_private.open_hold_leg (tenant, expires_at)
    WHERE expires_at IS NOT NULL;
-- Rows come and go with every hold: vacuum it after a fixed number of them, not a share of
-- a table that stays small.
ALTER TABLE ledger_private.open_hold_leg
    SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
         autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000);

INSERT INTO ledger_private.open_hold_leg (hold_id, leg_no, tenant, account_id, side, amount, expires_at)
SELECT hl.hold_id, hl.leg_no, hl.tenant, hl.account_id, hl.side, hl.amount, h.expires_at
  FROM ledger_private.hold_leg AS hl
  JOIN ledger_private.hold AS h ON h.hold_id = hl.hold_id
 WHERE NOT EXISTS (SELECT FROM ledger_private.hold_resolution AS r WHERE r.hold_id = hl.hold_id);

-- Real bodies, the ones in procedures/rules/.
CREATE FUNCTION ledger_private.open_hold_legs_added() RETURNS trigger
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

CREATE FUNCTION ledger_private.open_hold_legs_resolved() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ledger_private.open_hold_leg AS o
     USING resolved AS r
     WHERE o.hold_id = r.hold_id;
    RETURN NULL;
END
$$;

-- ledger.create_hold writes its open legs itself (it vouches for its rows: checked_inline).
CREATE TRIGGER hold_leg_opens AFTER INSERT ON ledger_private.hold_leg
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT
    WHEN (current_setting('doublex.checked_inline', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION ledger_private.open_hold_legs_added();
CREATE TRIGGER hold_resolution_closes AFTER INSERT ON ledger_private.hold_resolution
    REFERENCING NEW TABLE AS resolved
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.open_hold_legs_resolved();

ALTER TABLE ledger_private.account_snapshot ADD COLUMN pending_debits numeric;
ALTER TABLE ledger_private.account_snapshot ADD COLUMN pending_credits numeric;
COMMENT ON COLUMN ledger_private.account_snapshot.pending_debits IS
    'Pending hold debits on the account when the close was taken (NULL: closed before 0019)';
COMMENT ON COLUMN ledger_private.account_snapshot.pending_credits IS
    'Pending hold credits on the account when the close was taken (NULL: closed before 0019)';
