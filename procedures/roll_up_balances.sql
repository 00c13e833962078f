-- ledger.roll_up_balances: fold the legs below the transaction horizon into the per-account
-- balance checkpoints, so that a balance read adds only recent legs.
--
--   BEGIN ISOLATION LEVEL READ COMMITTED;
--   SELECT * FROM ledger.roll_up_balances();
--   COMMIT;
--
-- The horizon is the oldest transaction still running: every leg below it is committed
-- (or never will be) and cannot change, so the fold is exact whatever runs beside it.
-- Run it often (the service does every few seconds; `doublex maintain` by hand). It runs at
-- READ COMMITTED: at SERIALIZABLE its wide read would conflict with every posting.
-- Roll-ups of one tenant queue on the watermark row. Raises DX016 at another isolation.
-- Capability operate, on the caller's own tenant: DX040–DX043; housekeeping: the
-- service's login (doublex_service) without a key may run it for any existing tenant
-- (ledger_private.authorize_housekeeping).

CREATE OR REPLACE FUNCTION ledger.roll_up_balances(
    tenant text DEFAULT NULL
) RETURNS ledger.roll_up_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_horizon bigint := (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint;
    v_from bigint;
    v_accounts integer;
    v_legs bigint;
BEGIN
    roll_up_balances.tenant :=
        (ledger_private.authorize_housekeeping('operate', roll_up_balances.tenant)).tenant;
    PERFORM ledger_private.require_isolation(
        ARRAY['read committed'], 'roll_up_balances',
        'BEGIN ISOLATION LEVEL READ COMMITTED; SELECT * FROM ledger.roll_up_balances(); COMMIT;');
    INSERT INTO ledger_private.balance_watermark AS w (tenant) VALUES (roll_up_balances.tenant)
    ON CONFLICT ON CONSTRAINT balance_watermark_pkey DO NOTHING;
    SELECT w.below_txid INTO v_from
      FROM ledger_private.balance_watermark AS w
     WHERE w.tenant = roll_up_balances.tenant
       FOR UPDATE;
    IF v_horizon <= v_from THEN
        RETURN ROW(roll_up_balances.tenant, 0, 0::bigint, v_from)::ledger.roll_up_result;
    END IF;

    WITH folded AS (
        SELECT l.account_id,
               coalesce(sum(l.amount) FILTER (WHERE l.side = 'debit'), 0) AS debits,
               coalesce(sum(l.amount) FILTER (WHERE l.side = 'credit'), 0) AS credits,
               count(*) AS legs
          FROM ledger_private.leg AS l
         WHERE l.tenant = roll_up_balances.tenant AND l.txid >= v_from AND l.txid < v_horizon
         GROUP BY l.account_id
    ), written AS (
        INSERT INTO ledger_private.balance_checkpoint AS c (account_id, tenant, debits, credits)
        SELECT f.account_id, roll_up_balances.tenant, f.debits, f.credits FROM folded AS f
        ON CONFLICT ON CONSTRAINT balance_checkpoint_pkey DO UPDATE
           SET debits = c.debits + excluded.debits, credits = c.credits + excluded.credits
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM written)::integer, (SELECT coalesce(sum(f.legs), 0) FROM folded AS f)::bigint
      INTO v_accounts, v_legs;

    UPDATE ledger_private.balance_watermark AS w
       SET below_txid = v_horizon, rolled_up_at = now()
     WHERE w.tenant = roll_up_balances.tenant;
    RETURN ROW(roll_up_balances.tenant, v_accounts, v_legs, v_horizon)::ledger.roll_up_result;
END
$$;

COMMENT ON FUNCTION ledger.roll_up_balances(text) IS
    'Folds committed legs below the transaction horizon into balance checkpoints';
GRANT EXECUTE ON FUNCTION ledger.roll_up_balances(text) TO doublex_api;
-- Housekeeping: the service's own login calls it without a key (authorize_housekeeping).
GRANT EXECUTE ON FUNCTION ledger.roll_up_balances(text) TO doublex_service;
