-- The proxy's directory (kept across regenerations): which tenants it knows, the
-- partition a moved tenant is pinned to (NULL: its hash decides) and since when a tenant's
-- writes are fenced while it moves (`doublex shards move`), and which tenant each API
-- key id belongs to (it routes the key's calls; the shard still verifies the key). Neither
-- is readable by the API roles: only the SECURITY DEFINER functions of this folder use them.

CREATE SCHEMA IF NOT EXISTS ledger_proxy AUTHORIZATION doublex_owner;
CREATE TABLE IF NOT EXISTS ledger_proxy.tenant (
    tenant    text PRIMARY KEY,
    partition integer CHECK (partition >= 0)
);
CREATE TABLE IF NOT EXISTS ledger_proxy.api_key (
    key_id text PRIMARY KEY,
    tenant text NOT NULL
);
ALTER TABLE ledger_proxy.tenant ADD COLUMN IF NOT EXISTS fenced_at timestamptz;
ALTER TABLE ledger_proxy.tenant OWNER TO doublex_owner;
ALTER TABLE ledger_proxy.api_key OWNER TO doublex_owner;
REVOKE ALL ON ALL TABLES IN SCHEMA ledger_proxy FROM PUBLIC;
GRANT USAGE ON SCHEMA ledger_proxy TO doublex_api, doublex_service;
