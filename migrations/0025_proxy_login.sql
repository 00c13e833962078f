-- The PL/Proxy login (#20): `doublex_proxy` is the login a proxy database (doublex shards
-- init; shell/doublex/shards.py) uses to reach this database when it is a shard, for the
-- calls of API-key holders. It is an inheriting member of doublex_api and nothing else: it
-- can execute the tenant-facing API, which refuses it (DX040) unless the call sets
-- doublex.api_key to a key that this shard verifies itself (ledger_private.authorize). It
-- is bound to no tenant and is no admin, so holding it is worth nothing without a key.
-- Its session settings are the service's (serializable, the same time limits): PL/Proxy
-- runs each call in autocommit, one transaction per call.
-- Roles are cluster-wide: created only when missing (the test suite's databases share them).
-- depends: 0024_lean_hold_events

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'doublex_proxy') THEN
        CREATE ROLE doublex_proxy LOGIN INHERIT;
    END IF;
END
$$;

ALTER ROLE doublex_proxy SET statement_timeout = '30s';
ALTER ROLE doublex_proxy SET lock_timeout = '5s';
ALTER ROLE doublex_proxy SET idle_in_transaction_session_timeout = '60s';
ALTER ROLE doublex_proxy SET default_transaction_isolation = 'serializable';
ALTER ROLE doublex_proxy SET search_path = ledger;
ALTER ROLE doublex_proxy SET log_parameter_max_length = 0;
GRANT doublex_api TO doublex_proxy;
