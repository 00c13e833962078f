-- Holes found by the security review of #14 (tenancy and access control), each pinned by the
-- tests that failed before its fix: what a principal may hand on to a key it creates; a
-- login's binding belongs to the role, not to its name.
BEGIN;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
SELECT plan(15);

\ir helpers/principals.sql

-- A key creator grants only what it holds -------------------------------------------------
-- (admin manages keys; it is not every capability: an admin-only key or login that could
-- mint a post key could move money.)
SELECT is(tap.attempt('tap_a_only_admin', NULL,
                      $$SELECT ledger.create_api_key('minted', ARRAY['post'])$$),
          'DX041', 'Should refuse an admin-only login a key with post, which it lacks (DX041)');
SELECT is(tap.attempt('tap_a_only_admin', NULL,
                      $$SELECT ledger.create_api_key('minted', ARRAY['admin', 'read'])$$),
          'DX041', 'Should refuse an admin-only login a key with read, which it lacks (DX041)');
SELECT is(tap.attempt('tap_a_only_admin', NULL,
                      $$SELECT ledger.create_api_key('minted', ARRAY['admin'])$$),
          'ok', 'Should let an admin-only login create a key with admin');
SELECT is(tap.attempt('tap_a_without_post', NULL,
                      $$SELECT ledger.create_api_key('minted', ARRAY['read', 'audit', 'operate'])$$),
          'ok', 'Should let a login hand on the capabilities it holds');
CREATE TEMP TABLE admin_audit_key ON COMMIT DROP AS
SELECT k.token FROM ledger.create_api_key('admin and audit', ARRAY['admin', 'audit'],
                                          now() + interval '1 hour', tenant => 'ta') AS k;
SELECT is(tap.attempt('doublex_service', (SELECT token FROM admin_audit_key),
                      $$SELECT ledger.create_api_key('minted', ARRAY['read'], now() + interval '10 minutes')$$,
                      'doublex_api'),
          'ok', 'Should let a key holding audit hand on read (audit reads all read reads)');
SELECT is(tap.attempt('doublex_service', (SELECT token FROM admin_audit_key),
                      $$SELECT ledger.create_api_key('minted', ARRAY['post'], now() + interval '10 minutes')$$,
                      'doublex_api'),
          'DX041', 'Should refuse a key a key with a capability it lacks (DX041)');

-- ... and for no longer than it lives itself (a later or no expiry is capped at its own)
CREATE FUNCTION pg_temp.expiry_minted_by(p_token text, p_expires_at timestamptz) RETURNS timestamptz
LANGUAGE plpgsql AS $$
DECLARE
    v_expires_at timestamptz;
BEGIN
    PERFORM set_config('doublex.api_key', p_token, true);
    SET LOCAL ROLE doublex_api;
    SELECT k.expires_at INTO v_expires_at FROM ledger.create_api_key('minted', ARRAY['audit'], p_expires_at) AS k;
    RESET ROLE;
    PERFORM set_config('doublex.api_key', '', true);
    RETURN v_expires_at;
END
$$;
SELECT is(pg_temp.expiry_minted_by((SELECT token FROM admin_audit_key), NULL),
          (SELECT expires_at FROM ledger_private.api_key WHERE name = 'admin and audit'),
          'Should give a key made by an expiring key its creator''s expiry, not none');
SELECT is(pg_temp.expiry_minted_by((SELECT token FROM admin_audit_key), now() + interval '2 hours'),
          (SELECT expires_at FROM ledger_private.api_key WHERE name = 'admin and audit'),
          'Should cap a later expiry at the creator''s');
SELECT is(pg_temp.expiry_minted_by((SELECT token FROM admin_audit_key), now() + interval '10 minutes'),
          now() + interval '10 minutes', 'Should keep an expiry within the creator''s');
SELECT is(tap.attempt('tap_a_only_admin', NULL,
                      $$SELECT 1 FROM ledger.create_api_key('minted', ARRAY['admin']) WHERE expires_at IS NULL$$),
          'ok', 'Should let a login (which does not expire) create a key that never expires');
SELECT is((SELECT capabilities FROM ledger.create_api_key('by the owner', ARRAY['post'], tenant => 'ta')),
          ARRAY['post'], 'Should let the owner create a key with any capability');

-- A binding is the role's, not its name's ----------------------------------------------
-- (a role dropped without `sql-login revoke` and a new role made later under the same name,
-- for someone else, must not inherit the old role's tenant and capabilities.)
CREATE ROLE tap_recycled NOLOGIN IN ROLE doublex_api;
SELECT ledger.bind_sql_login('tap_recycled', ARRAY['read', 'post', 'admin'], 'ta');
SELECT is(tap.attempt('tap_recycled', NULL, $$SELECT ledger.get_tenant()$$), 'ok',
          'Should let a bound role act for its tenant');
DROP ROLE tap_recycled;
CREATE ROLE tap_recycled NOLOGIN IN ROLE doublex_api;
SELECT is(tap.attempt('tap_recycled', NULL, $$SELECT ledger.get_tenant()$$), 'DX040',
          'Should not take a new role for the dropped one it is named after (DX040)');
SELECT ledger.bind_sql_login('tap_recycled', ARRAY['read'], 'tb');
SELECT is(tap.attempt('tap_recycled', NULL, $$SELECT name FROM ledger.get_tenant()$$), 'ok',
          'Should let the owner bind the new role');
SELECT results_eq($$SELECT tenant, capabilities FROM ledger.list_sql_logins() WHERE login = 'tap_recycled'$$,
                  $$VALUES ('tb'::text, ARRAY['read'])$$, 'Should keep one binding per login name');

SELECT * FROM finish();
ROLLBACK;
