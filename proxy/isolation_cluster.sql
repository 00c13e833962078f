-- ledger_proxy.isolation_cluster() → text: the PL/Proxy cluster a call of a function that
-- refuses SERIALIZABLE (doublex.shards_catalog.CALLERS_ISOLATION: roll_up_balances) runs
-- on: the caller's own isolation level carried to the shard. A caller at READ COMMITTED
-- (the CLI's `doublex maintain`, the service's roll-up) gets the partitions at READ
-- COMMITTED; any other gets the SERIALIZABLE ones, where the shard refuses it (DX016) as a
-- single database would.
--
--   CLUSTER ledger_proxy.isolation_cluster();   -- in a generated ledger_remote function

CREATE OR REPLACE FUNCTION ledger_proxy.isolation_cluster()
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN current_setting('transaction_isolation') = 'read committed'
                THEN 'doublex_shards_read_committed' ELSE 'doublex_shards' END
$$;
REVOKE ALL ON FUNCTION ledger_proxy.isolation_cluster() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_proxy.isolation_cluster() TO doublex_api, doublex_service;
