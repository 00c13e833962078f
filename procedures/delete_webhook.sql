-- ledger.delete_webhook: deletes a webhook endpoint of the caller's tenant (capability
-- admin): nothing more is delivered to it from this transaction's commit on (a delivery in
-- flight is recorded in its history, nothing else). Its row and history are kept
-- (ledger.list_webhook_deliveries still reads them). Deleting a deleted endpoint answers
-- it unchanged (like revoking a revoked key). Audited once.
--
--   SELECT * FROM ledger.delete_webhook('dxw_3f9a0c61b2d4');
--
-- Raises DX016, DX019, DX040–DX043, DX060 (no webhook with that id in the tenant).

CREATE OR REPLACE FUNCTION ledger.delete_webhook(
    webhook_id text,
    tenant text DEFAULT NULL
) RETURNS ledger.webhook_info
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize_write('admin', delete_webhook.tenant);
    v_hook ledger_private.webhook := ledger_private.tenant_webhook(delete_webhook.webhook_id, v_who.tenant, false);
BEGIN
    IF v_hook.deleted_at IS NULL THEN
        UPDATE ledger_private.webhook AS w
           SET deleted_at = now(), deleted_by = v_who.actor, claim_token = NULL, claimed_until = NULL
         WHERE w.webhook_id = v_hook.webhook_id
        RETURNING w.* INTO v_hook;
        PERFORM ledger_private.append_audit(v_who, 'delete_webhook', v_hook.webhook_id);
    END IF;
    RETURN ledger_private.to_webhook_info(v_hook);
END
$$;

COMMENT ON FUNCTION ledger.delete_webhook(text, text) IS
    'Deletes a webhook endpoint of the tenant: nothing more is delivered to it';
GRANT EXECUTE ON FUNCTION ledger.delete_webhook(text, text) TO doublex_api;
