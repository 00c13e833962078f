-- ledger_private.tenant_webhook(webhook_id, tenant, live_only) → the endpoint's row, locked
-- FOR UPDATE: a webhook of that tenant (not deleted, when live_only). Raises DX060 otherwise
-- (ledger_private.raise_no_webhook). For ledger.delete_webhook and ledger.replay_webhook.

CREATE OR REPLACE FUNCTION ledger_private.tenant_webhook(p_webhook_id text, p_tenant text, p_live_only boolean)
RETURNS ledger_private.webhook
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_hook ledger_private.webhook;
BEGIN
    SELECT w.* INTO v_hook
      FROM ledger_private.webhook AS w
     WHERE w.webhook_id = p_webhook_id AND w.tenant = p_tenant
       AND (NOT p_live_only OR w.deleted_at IS NULL)
       FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM ledger_private.raise_no_webhook(p_webhook_id, p_tenant, p_live_only);  -- DX060
    END IF;
    RETURN v_hook;
END
$$;

COMMENT ON FUNCTION ledger_private.tenant_webhook(text, text, boolean) IS
    'A webhook of the tenant (live only, when asked), locked for update; DX060 otherwise';
