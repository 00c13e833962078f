-- Roll back 0025_proxy_login. The role doublex_proxy, its membership in doublex_api and
-- its settings are cluster-wide and hold no object of this database: other databases of
-- the cluster may be shards still reached through it, so the role stays (as migration 0001's
-- doublex_owner outlives a rolled-back database while another uses it). A cluster that
-- holds no shard any more drops it by hand: DROP ROLE doublex_proxy.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';
