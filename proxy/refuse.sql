-- ledger_proxy.refuse(function, reason): DX066 for a function of a shard that is not
-- tenant-scoped and has no meaningful combination over shards (doublex.shards_catalog.CROSSING):
-- the proxy's `ledger.<function>` keeps the shard's signature and raises this.
--
--   SELECT ledger.sequence_events();   -- on the proxy: DX066
--
-- Raises: DX066.

CREATE OR REPLACE FUNCTION ledger_proxy.refuse(p_function text, p_reason text)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'DX066', COLUMN = 'function',
        MESSAGE = format('function: ledger.%s is not available through the shard proxy', p_function),
        DETAIL = p_reason,
        HINT = 'Run it against a shard: DOUBLEX_DSN a shard''s admin DSN (`doublex shards status`'
               ' lists each shard and its tenants; README, "Sharding").';
END
$$;
REVOKE ALL ON FUNCTION ledger_proxy.refuse(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_proxy.refuse(text, text)
    TO doublex_api, doublex_service, doublex_monitor;
