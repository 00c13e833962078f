-- ledger_private.fence_tenant_writes(tenant, fenced): `doublex shards move` raising (true)
-- or lifting (false) a tenant's write fence on this shard, for its session. Raising takes
-- the tenant's write lock exclusively: it waits until every transaction that entered the
-- tenant's writes (ledger_private.enter_tenant_writes) has ended, while new ones are
-- refused with DX067 from the moment it starts to wait. Bounded by the caller's
-- lock_timeout (55P03). The lock is the session's: it outlives the mover's transactions,
-- and the mover's death lifts it. Lifting returns whether the session held it.
-- Owner only: nothing grants it.

CREATE OR REPLACE FUNCTION ledger_private.fence_tenant_writes(p_tenant text, p_fenced boolean)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    -- The key, as in enter_tenant_writes.
    IF p_fenced THEN
        PERFORM pg_advisory_lock(hashtext('doublex.tenant_writes'), hashtext(p_tenant));
        RETURN true;
    END IF;
    RETURN pg_advisory_unlock(hashtext('doublex.tenant_writes'), hashtext(p_tenant));
END
$$;

COMMENT ON FUNCTION ledger_private.fence_tenant_writes(text, boolean) IS
    'Raises (waiting for the writes in flight) or lifts a tenant''s write fence for the mover''s session';
