-- Tenants and principals (#14): tenants are first-class rows; API keys and SQL logins bind
-- a principal to one tenant and a set of capabilities; an append-only audit log; every
-- write records its actor.
--
-- Roles (cluster-wide, so created only when missing: the test suite's databases share them):
-- - doublex_api (NOLOGIN): EXECUTE on the tenant-facing API (procedures/ grant it).
-- - doublex_service (LOGIN NOINHERIT): the REST service's login. Member of doublex_api, but
--   NOINHERIT: by itself it can do nothing; per transaction it acts as doublex_api
--   (SET LOCAL ROLE) with the request's key in doublex.api_key.
-- - doublex_app (existing LOGIN): member of doublex_api, bound below to tenant `default`
--   with all five capabilities (single-book SQL callers keep working).
-- Who a caller is and what it may do is decided by ledger_private.authorize
-- (procedures/private/authorize.sql), first thing in every API function.
-- depends: 0011_monitoring_asks_the_ledger

-- The actor columns are added with a constant default (no table rewrite) that marks the rows
-- already there, then the default is dropped on purpose: every new row must name its actor.
-- The two foreign keys to tenant check a few small tables (accounts, settings) at once.
-- squawk-ignore-file ban-drop-default, adding-foreign-key-constraint, constraint-missing-not-valid

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'doublex_api') THEN
        CREATE ROLE doublex_api NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'doublex_service') THEN
        CREATE ROLE doublex_service LOGIN NOINHERIT;
    END IF;
END
$$;

ALTER ROLE doublex_service SET statement_timeout = '30s';
ALTER ROLE doublex_service SET lock_timeout = '5s';
ALTER ROLE doublex_service SET idle_in_transaction_session_timeout = '60s';
ALTER ROLE doublex_service SET default_transaction_isolation = 'serializable';
ALTER ROLE doublex_service SET search_path = ledger;
GRANT doublex_api TO doublex_app;
GRANT doublex_api TO doublex_service;

SET LOCAL ROLE doublex_owner;

GRANT USAGE ON SCHEMA ledger TO doublex_api;
GRANT USAGE ON SCHEMA ledger TO doublex_service;
-- The API is granted to doublex_api now (procedures/, re-applied after this migration), which
-- doublex_app is a member of: take back the direct grants an earlier migrate gave it.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA ledger FROM doublex_app;

-- A tenant owns its accounts, journals, settings, rates, statements and keys.
CREATE TABLE ledger_private.tenant (
    tenant     text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    CONSTRAINT tenant_name_format CHECK (tenant ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')
);

-- Every tenant the ledger already knows, and `default`.
INSERT INTO ledger_private.tenant (tenant, created_by)
SELECT t.tenant, 'unrecorded'
  FROM (SELECT 'default' AS tenant
        UNION SELECT a.tenant FROM ledger_private.account AS a
        UNION SELECT j.tenant FROM ledger_private.journal AS j
        UNION SELECT s.tenant FROM ledger_private.ledger_settings AS s
        UNION SELECT r.tenant FROM ledger_private.fx_rate AS r
        UNION SELECT c.tenant FROM ledger_private.day_close AS c
        UNION SELECT w.tenant FROM ledger_private.balance_watermark AS w
        UNION SELECT i.tenant FROM ledger_private.statement_import AS i
        UNION SELECT r.tenant FROM ledger_private.recon_run AS r) AS t;

-- An API key: `dxk_<12 hex>` is its visible id; only the SHA-256 of its 64-hex secret is kept.
CREATE TABLE ledger_private.api_key (
    key_id       text PRIMARY KEY,
    tenant       text NOT NULL REFERENCES ledger_private.tenant (tenant),
    name         text NOT NULL,
    capabilities text[] NOT NULL,
    secret_hash  bytea NOT NULL,
    expires_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    revoked_at   timestamptz,
    revoked_by   text,
    CONSTRAINT api_key_id_format CHECK (key_id ~ '^dxk_[0-9a-f]{12}$'),
    CONSTRAINT api_key_name_length CHECK (char_length(name) BETWEEN 1 AND 200),
    CONSTRAINT api_key_capabilities_known CHECK (
        cardinality(capabilities) >= 1
        AND capabilities <@ ARRAY['read', 'post', 'operate', 'admin', 'audit']),
    CONSTRAINT api_key_hash_length CHECK (octet_length(secret_hash) = 32),
    CONSTRAINT api_key_revoked_whole CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
CREATE INDEX api_key_by_tenant ON ledger_private.api_key (tenant, created_at);

-- A SQL login bound to one tenant and its capabilities. Only the owner changes this
-- mapping (ledger.bind_sql_login / unbind_sql_login are granted to nobody).
CREATE TABLE ledger_private.sql_login (
    login        text PRIMARY KEY,
    tenant       text NOT NULL REFERENCES ledger_private.tenant (tenant),
    capabilities text[] NOT NULL,
    bound_at     timestamptz NOT NULL DEFAULT now(),
    bound_by     text NOT NULL,
    CONSTRAINT sql_login_capabilities_known CHECK (
        cardinality(capabilities) >= 1
        AND capabilities <@ ARRAY['read', 'post', 'operate', 'admin', 'audit'])
);
CREATE INDEX sql_login_by_tenant ON ledger_private.sql_login (tenant);

INSERT INTO ledger_private.sql_login (login, tenant, capabilities, bound_by)
VALUES ('doublex_app', 'default', ARRAY['read', 'post', 'operate', 'admin', 'audit'], 'unrecorded');

-- Admin and operate actions, append-only like the rest of the history.
CREATE TABLE ledger_private.audit_log (
    audit_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant   text NOT NULL,
    at       timestamptz NOT NULL DEFAULT now(),
    actor    text NOT NULL,
    action   text NOT NULL,
    object   text,
    details  jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT audit_log_details_object CHECK (jsonb_typeof(details) = 'object')
);
CREATE INDEX audit_log_by_tenant ON ledger_private.audit_log (tenant, audit_id);

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON ledger_private.audit_log
    FOR EACH ROW EXECUTE FUNCTION ledger_private.refuse_history_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON ledger_private.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_private.refuse_history_change();

-- Actors: 'key:dxk_…', 'login:<name>', 'admin:<who>', 'service'. Rows written before this
-- migration say 'unrecorded'; new rows must name theirs (no default is left behind).
ALTER TABLE ledger_private.journal ADD COLUMN created_by text NOT NULL DEFAULT 'unrecorded';
ALTER TABLE ledger_private.journal ALTER COLUMN created_by DROP DEFAULT;
ALTER TABLE ledger_private.fx_settlement ADD COLUMN created_by text NOT NULL DEFAULT 'unrecorded';
ALTER TABLE ledger_private.fx_settlement ALTER COLUMN created_by DROP DEFAULT;
ALTER TABLE ledger_private.day_close ADD COLUMN closed_by text NOT NULL DEFAULT 'unrecorded';
ALTER TABLE ledger_private.day_close ALTER COLUMN closed_by DROP DEFAULT;
ALTER TABLE ledger_private.fx_rate ADD COLUMN updated_by text NOT NULL DEFAULT 'unrecorded';
ALTER TABLE ledger_private.fx_rate ALTER COLUMN updated_by DROP DEFAULT;
ALTER TABLE ledger_private.account ADD COLUMN created_by text NOT NULL DEFAULT 'unrecorded';
ALTER TABLE ledger_private.account ALTER COLUMN created_by DROP DEFAULT;
ALTER TABLE ledger_private.account ADD COLUMN changed_by text NOT NULL DEFAULT 'unrecorded';
ALTER TABLE ledger_private.account ALTER COLUMN changed_by DROP DEFAULT;

-- Accounts and settings belong to a tenant row (few, small rows: cheap to check). Journals
-- and legs do not reference it: the hot path checks nothing more (the API checked the
-- tenant already).
ALTER TABLE ledger_private.account
    ADD CONSTRAINT account_tenant_fkey FOREIGN KEY (tenant) REFERENCES ledger_private.tenant (tenant);
ALTER TABLE ledger_private.ledger_settings
    ADD CONSTRAINT ledger_settings_tenant_fkey FOREIGN KEY (tenant) REFERENCES ledger_private.tenant (tenant);

-- Who is calling: the tenant it acts on and how its writes are signed (authorize's answer).
CREATE TYPE ledger_private.principal AS (tenant text, actor text);

-- What the tenant, key, login and audit functions answer.
CREATE TYPE ledger.tenant_info AS (
    name        text,
    created_at  timestamptz,
    created_by  text,
    accounts    bigint,
    active_keys bigint
);
CREATE TYPE ledger.new_api_key AS (
    key_id       text,
    token        text,
    name         text,
    capabilities text[],
    expires_at   timestamptz,
    created_at   timestamptz,
    created_by   text
);
CREATE TYPE ledger.api_key_info AS (
    key_id       text,
    name         text,
    capabilities text[],
    expires_at   timestamptz,
    created_at   timestamptz,
    created_by   text,
    revoked_at   timestamptz,
    revoked_by   text
);
CREATE TYPE ledger.sql_login_info AS (
    login        text,
    tenant       text,
    capabilities text[],
    bound_at     timestamptz,
    bound_by     text
);
CREATE TYPE ledger.audit_entry AS (
    audit_id bigint,
    at       timestamptz,
    actor    text,
    action   text,
    object   text,
    details  jsonb
);

RESET ROLE;
