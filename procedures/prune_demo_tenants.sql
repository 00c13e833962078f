-- ledger.prune_demo_tenants: archive the live page's demo tenants older than an age.
--
--   SELECT ledger.prune_demo_tenants(interval '24 hours');   → how many were archived
--
-- A tenant is never deleted (its journals are append-only): archiving revokes its keys
-- (so nobody can post to or read it any more) and marks it archived. Archived tenants are
-- left alone by later prunes; their rows stay for the audit. `doublex demo prune` runs it,
-- and so does the REST service periodically (DOUBLEX_DEMO_MAX_AGE).
-- Granted to the REST service's own login (doublex_service) and to nobody else; the owner
-- may call it too. Each revocation is in the tenant's audit log (actor `service` or the
-- admin). Raises DX016 (below SERIALIZABLE), DX019 (an age that is NULL or negative).

CREATE OR REPLACE FUNCTION ledger.prune_demo_tenants(
    older_than interval
) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_actor text := CASE WHEN session_user = 'doublex_service' THEN 'service'
                         ELSE ledger_private.admin_actor() END;
    v_archived integer;
BEGIN
    IF prune_demo_tenants.older_than IS NULL OR prune_demo_tenants.older_than < interval '0' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX019', COLUMN = 'older_than',
            MESSAGE = format('older_than: must be an age of zero or more, got %s',
                             coalesce(prune_demo_tenants.older_than::text, 'NULL'));
    END IF;
    PERFORM ledger_private.require_serializable();
    WITH archived AS (
        UPDATE ledger_private.demo_tenant AS d
           SET archived_at = now()
         WHERE d.archived_at IS NULL AND d.created_at < now() - prune_demo_tenants.older_than
        RETURNING d.tenant
    ), revoked AS (
        UPDATE ledger_private.api_key AS k
           SET revoked_at = now(), revoked_by = v_actor
          FROM archived AS a
         WHERE k.tenant = a.tenant AND k.revoked_at IS NULL
        RETURNING k.tenant, k.key_id
    ), audited AS (
        INSERT INTO ledger_private.audit_log (tenant, actor, action, object, details)
        SELECT a.tenant, v_actor, 'archive_demo_tenant', a.tenant,
               jsonb_build_object('keys_revoked',
                                  coalesce((SELECT jsonb_agg(r.key_id ORDER BY r.key_id)
                                              FROM revoked AS r WHERE r.tenant = a.tenant), '[]'))
          FROM archived AS a
        RETURNING 1
    )
    SELECT count(*)::integer INTO v_archived FROM audited;
    RETURN v_archived;
END
$$;

COMMENT ON FUNCTION ledger.prune_demo_tenants(interval) IS
    'Archives the demo tenants older than an age: their keys revoked, the tenant marked archived';
-- The service's own login runs it periodically, without a key.
GRANT EXECUTE ON FUNCTION ledger.prune_demo_tenants(interval) TO doublex_service;
