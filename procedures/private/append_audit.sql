-- ledger_private.append_audit(principal, action, object, details): one line of the tenant's
-- audit log (ledger.list_audit reads it; append-only, DX017 on UPDATE, DELETE, TRUNCATE).
-- Admin and operate actions call it after they succeed, in the same transaction.

CREATE OR REPLACE FUNCTION ledger_private.append_audit(
    p_who ledger_private.principal, p_action text, p_object text, p_details jsonb DEFAULT '{}'
) RETURNS void
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO ledger_private.audit_log (tenant, actor, action, object, details)
    VALUES (p_who.tenant, p_who.actor, p_action, p_object, coalesce(p_details, '{}'));
$$;

COMMENT ON FUNCTION ledger_private.append_audit(ledger_private.principal, text, text, jsonb) IS
    'Appends an admin or operate action to the tenant''s audit log';
