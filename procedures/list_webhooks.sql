-- ledger.list_webhooks: the live webhook endpoints of the caller's tenant with their delivery
-- state, oldest first (capability admin). Never a secret.
--
--   SELECT * FROM ledger.list_webhooks();
--   → webhook_id, url, types, created_at, created_by, deleted_at, cursor, attempts,
--     failing_since, next_attempt_at, last_error
--
-- cursor: the last position of the event log the endpoint is done with; attempts,
-- failing_since, next_attempt_at, last_error: its failing streak (zero and NULL when
-- healthy). Raises DX019, DX040–DX043.

CREATE OR REPLACE FUNCTION ledger.list_webhooks(
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.webhook_info
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    list_webhooks.tenant := (ledger_private.authorize('admin', list_webhooks.tenant)).tenant;
    RETURN QUERY
        SELECT (ledger_private.to_webhook_info(w)).*
          FROM ledger_private.webhook AS w
         WHERE w.tenant = list_webhooks.tenant AND w.deleted_at IS NULL
         ORDER BY w.created_at, w.webhook_id;
END
$$;

COMMENT ON FUNCTION ledger.list_webhooks(text) IS 'The tenant''s live webhook endpoints (never their secrets)';
GRANT EXECUTE ON FUNCTION ledger.list_webhooks(text) TO doublex_api;
