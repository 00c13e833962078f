-- Tenants, keys and logins (#14), as the owner (the migrating user, e.g. the superuser of
-- the local cluster):
--   psql "postgresql://postgres@127.0.0.1:54329/doublex" -f sql/examples/tenants.sql
-- Every write runs at SERIALIZABLE.

BEGIN ISOLATION LEVEL SERIALIZABLE;

-- A tenant, and its first account (an admin names the tenant).
SELECT * FROM ledger.create_tenant('acme');
SELECT * FROM ledger.create_account('1001-CASH', 'Cash at bank', 'EUR', tenant => 'acme');

-- A key for a service of acme that reads and posts; the token is shown here only.
SELECT key_id, token FROM ledger.create_api_key('payments', ARRAY['read', 'post'], tenant => 'acme');

-- A SQL login of acme that may only read (the role needs EXECUTE through doublex_api).
CREATE ROLE acme_reports LOGIN;
GRANT doublex_api TO acme_reports;
SELECT * FROM ledger.bind_sql_login('acme_reports', ARRAY['read'], 'acme');

SELECT * FROM ledger.list_tenants();
SELECT * FROM ledger.list_api_keys('acme');
SELECT * FROM ledger.list_audit(tenant => 'acme');   -- tenant, account, key, login: who, what

ROLLBACK;  -- an example: keep nothing

-- As the key's principal, the way the REST service acts per transaction:
--   BEGIN;
--   SELECT set_config('role', 'doublex_api', true), set_config('doublex.api_key', '<token>', true);
--   SELECT * FROM ledger.get_balance('1001-CASH');          -- acme's account, tenant omitted
--   SELECT * FROM ledger.get_balance('1001-CASH', NULL, 'default');   -- DX042: not its tenant
--   COMMIT;
-- Revoke it (as acme's admin or the owner); every later transaction refuses it (DX040):
--   SELECT * FROM ledger.revoke_api_key('<key_id>', 'acme');
