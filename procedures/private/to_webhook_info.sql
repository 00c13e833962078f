-- ledger_private.to_webhook_info(webhook) → ledger.webhook_info: an endpoint as the API
-- shows it, never its secret or the worker's lease (ledger.list_webhooks,
-- ledger.delete_webhook, ledger.replay_webhook).

CREATE OR REPLACE FUNCTION ledger_private.to_webhook_info(p_hook ledger_private.webhook)
RETURNS ledger.webhook_info
LANGUAGE sql IMMUTABLE
AS $$
    SELECT ROW(p_hook.webhook_id, p_hook.url, p_hook.types, p_hook.created_at, p_hook.created_by,
               p_hook.deleted_at, p_hook.cursor, p_hook.attempts, p_hook.failing_since,
               p_hook.next_attempt_at, p_hook.last_error)::ledger.webhook_info
$$;

COMMENT ON FUNCTION ledger_private.to_webhook_info(ledger_private.webhook) IS
    'A webhook endpoint without its secret';
