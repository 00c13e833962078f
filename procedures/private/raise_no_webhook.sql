-- ledger_private.raise_no_webhook(webhook_id, tenant, live_only): raises the error of a
-- webhook id the tenant has no endpoint under: DX060 on column webhook_id, MESSAGE
-- 'webhook_id: no [live ]webhook <id> in tenant <tenant>' (the id quoted and cut at 40
-- characters), with the hint to list the endpoints. One definition for the readers and
-- writers of an endpoint by its id (ledger_private.tenant_webhook, which locks it for a
-- change, and ledger.list_webhook_deliveries, which only reads); called only once the
-- lookup found nothing.

CREATE OR REPLACE FUNCTION ledger_private.raise_no_webhook(p_webhook_id text, p_tenant text, p_live_only boolean)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'DX060', COLUMN = 'webhook_id',
        MESSAGE = format('webhook_id: no %swebhook %s in tenant %s',
                         CASE WHEN p_live_only THEN 'live ' ELSE '' END,
                         coalesce(quote_literal(left(p_webhook_id, 40)), 'NULL'), p_tenant),
        HINT = 'GET /api/webhooks lists the tenant''s endpoints.';
END
$$;

COMMENT ON FUNCTION ledger_private.raise_no_webhook(text, text, boolean) IS
    'Raises DX060: the tenant has no (live) webhook endpoint with this id';
