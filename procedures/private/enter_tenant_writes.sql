-- ledger_private.enter_tenant_writes(tenant): the shard's write fence of a tenant, entered.
-- Every function that writes a tenant's books passes it right after authorize
-- (authorize_write does; post_journal, post_fx_transfer and eod_close, which authorize
-- themselves, call it): it holds the tenant's write lock shared until the transaction
-- ends, or refuses at once with DX067 while `doublex shards move` holds that lock
-- (ledger_private.fence_tenant_writes) or waits for it. So once the mover holds it, every
-- write of the tenant that got in has committed or rolled back and none can start: the
-- move's last pass misses nothing, whether a write came through the proxy (whose own
-- fence refuses most of them earlier) or from a SQL caller of this shard.
-- Housekeeping that only derives state (roll_up_balances, expire_holds, the sequencer, the
-- webhook worker) does not enter: the target derives it again.
-- An advisory lock, not a row lock: no WAL, no multixact on a hot tenant's row.
--
-- Raises: DX067.

CREATE OR REPLACE FUNCTION ledger_private.enter_tenant_writes(p_tenant text)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    -- The key, as in fence_tenant_writes.
    IF NOT pg_try_advisory_xact_lock_shared(hashtext('doublex.tenant_writes'), hashtext(p_tenant)) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX067', COLUMN = 'tenant',
            MESSAGE = format('tenant: %s is moving to another shard; its writes are paused', p_tenant),
            DETAIL = 'This shard''s write fence of the tenant is held by the move.',
            HINT = 'Retry in a second: nothing was written (README, "Sharding").';
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.enter_tenant_writes(text) IS
    'Shares the tenant''s write lock to the end of the transaction, or DX067 while a move fences it';
