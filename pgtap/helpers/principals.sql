-- Principals for the tenancy suites (16_tenancy to 21_demo_tenants), loaded instead of
-- helpers/fixtures.sql (it loads that first: the journals below are tap.pair's) with
--
--   \ir helpers/principals.sql
--
-- Tenants ta and tb with the same account codes and a journal under the same idempotency
-- key; NOLOGIN roles standing for SQL logins of tenant ta (SET SESSION AUTHORIZATION acts
-- as them: authorize reads session_user), all members of doublex_api:
--   tap_a_all              every capability
--   tap_a_only_<cap>       that capability alone
--   tap_a_without_<cap>    every capability but that one (and but audit, for read)
--   tap_unbound            no binding (and no admin)
-- and keys of ta in pg_temp.tap_key (label → token): all (every capability), revoked,
-- expired. Roles are cluster-wide: these are created in the file's transaction and go with
-- its ROLLBACK. Nothing here is a test.

\ir fixtures.sql

DO $$
DECLARE
    v_cap text;
    v_all constant text[] := ARRAY['read', 'post', 'operate', 'admin', 'audit'];
BEGIN
    PERFORM ledger.create_tenant(t) FROM unnest(ARRAY['ta', 'tb']) AS t;
    PERFORM ledger.create_account(a.code, a.code, 'EUR', a.type, tenant => t.t)
       FROM unnest(ARRAY['ta', 'tb']) AS t (t),
            (VALUES ('CASH', 'asset'), ('LIAB', 'liability')) AS a (code, type);
    PERFORM ledger.post_journal('same-key', tap.pair('CASH', 'LIAB', '5.00'), tenant => t)
       FROM unnest(ARRAY['ta', 'tb']) AS t;

    CREATE ROLE tap_a_all NOLOGIN IN ROLE doublex_api;
    PERFORM ledger.bind_sql_login('tap_a_all', v_all, 'ta');
    CREATE ROLE tap_unbound NOLOGIN IN ROLE doublex_api;
    FOREACH v_cap IN ARRAY v_all LOOP
        EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE doublex_api', 'tap_a_only_' || v_cap);
        PERFORM ledger.bind_sql_login('tap_a_only_' || v_cap, ARRAY[v_cap], 'ta');
        EXECUTE format('CREATE ROLE %I NOLOGIN IN ROLE doublex_api', 'tap_a_without_' || v_cap);
        PERFORM ledger.bind_sql_login(
            'tap_a_without_' || v_cap,
            array_remove(array_remove(v_all, v_cap), CASE WHEN v_cap = 'read' THEN 'audit' END), 'ta');
    END LOOP;
END
$$;

CREATE TEMP TABLE tap_key (label text PRIMARY KEY, key_id text, token text) ON COMMIT DROP;
INSERT INTO tap_key
SELECT l.label, k.key_id, k.token
  FROM (VALUES ('all'), ('revoked'), ('expired')) AS l (label),
       ledger.create_api_key('tap ' || l.label, ARRAY['read', 'post', 'operate', 'admin', 'audit'],
                             now() + interval '1 day', tenant => 'ta') AS k;
DO $$
BEGIN
    PERFORM ledger.revoke_api_key((SELECT k.key_id FROM tap_key AS k WHERE k.label = 'revoked'), 'ta');
    -- Expired: only the owner can date a key back (the API refuses a past expiry).
    UPDATE ledger_private.api_key SET expires_at = now() - interval '1 second'
     WHERE key_id = (SELECT k.key_id FROM tap_key AS k WHERE k.label = 'expired');
END
$$;

-- The SQLSTATE of a statement run as a principal: session_user p_login (SET SESSION
-- AUTHORIZATION), then the role p_role when given (the service's SET ROLE doublex_api), with
-- doublex.api_key = p_key. 'ok' when it succeeds. Whatever it did is rolled back (the block
-- always ends in an exception), the session's identity and setting included.
CREATE FUNCTION tap.attempt(p_login text, p_key text, p_sql text, p_role text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    BEGIN
        PERFORM set_config('doublex.api_key', coalesce(p_key, ''), true);
        EXECUTE format('SET LOCAL SESSION AUTHORIZATION %I', p_login);
        IF p_role IS NOT NULL THEN
            EXECUTE format('SET LOCAL ROLE %I', p_role);
        END IF;
        EXECUTE p_sql;
        RAISE EXCEPTION USING ERRCODE = 'TAPOK';
    EXCEPTION WHEN OTHERS THEN
        RETURN CASE SQLSTATE WHEN 'TAPOK' THEN 'ok' ELSE SQLSTATE END;
    END;
END
$$;

-- The token of one of the keys above.
CREATE FUNCTION tap.token(p_label text) RETURNS text
LANGUAGE sql STABLE AS $$ SELECT k.token FROM pg_temp.tap_key AS k WHERE k.label = p_label $$;
