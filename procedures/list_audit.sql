-- ledger.list_audit: the caller's tenant's audit log, oldest first, keyset-paginated
-- (capability audit). Admin and operate actions append to it: accounts created and their
-- status changed, settings, closes, rates, statement imports, reconciliation runs, keys
-- created and revoked, the tenant's creation, SQL logins bound and unbound.
--
--   SELECT * FROM ledger.list_audit();
--   SELECT * FROM ledger.list_audit(after_id => 120, page_size => 50);
--   → audit_id, at, actor, action, object, details
--
-- Raises DX019 (page size, tenant), DX040–DX043.

CREATE OR REPLACE FUNCTION ledger.list_audit(
    after_id bigint DEFAULT NULL,
    page_size integer DEFAULT 100,
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.audit_entry
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    list_audit.tenant := (ledger_private.authorize('audit', list_audit.tenant)).tenant;
    PERFORM ledger_private.check_page_size(list_audit.page_size);
    RETURN QUERY
        SELECT g.audit_id, g.at, g.actor, g.action, g.object, g.details
          FROM ledger_private.audit_log AS g
         WHERE g.tenant = list_audit.tenant
           AND g.audit_id > coalesce(list_audit.after_id, 0)
         ORDER BY g.audit_id
         LIMIT list_audit.page_size;
END
$$;

COMMENT ON FUNCTION ledger.list_audit(bigint, integer, text) IS
    'The tenant''s audit log (admin and operate actions), keyset-paginated';
GRANT EXECUTE ON FUNCTION ledger.list_audit(bigint, integer, text) TO doublex_api;
