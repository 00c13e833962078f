-- ledger.list_webhook_deliveries: a webhook endpoint's delivery history, newest first
-- (capability admin): every attempt (outcome delivered or failed, with the HTTP status or
-- the error and how long it took) and every dead letter (outcome dead_letter: an event
-- given up after the endpoint failed for the give-up window). A deleted endpoint's history
-- stays readable.
--
--   SELECT * FROM ledger.list_webhook_deliveries('dxw_3f9a0c61b2d4');
--   SELECT * FROM ledger.list_webhook_deliveries('dxw_3f9a0c61b2d4', outcome => 'dead_letter');
--
-- outcome    delivered, failed or dead_letter (DX061 for another); NULL: all
-- before     a delivery_id: the page after the previous one (its last delivery_id); NULL: newest
-- page_size  1 to api_limit('page_size') (DX019)
-- Raises DX019, DX040–DX043, DX060, DX061.

CREATE OR REPLACE FUNCTION ledger.list_webhook_deliveries(
    webhook_id text,
    outcome text DEFAULT NULL,
    before bigint DEFAULT NULL,
    page_size integer DEFAULT 100,
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.webhook_delivery_info
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant text := (ledger_private.authorize('admin', list_webhook_deliveries.tenant)).tenant;
    v_hook_id text;
BEGIN
    PERFORM ledger_private.check_page_size(list_webhook_deliveries.page_size);
    SELECT w.webhook_id INTO v_hook_id
      FROM ledger_private.webhook AS w
     WHERE w.webhook_id = list_webhook_deliveries.webhook_id AND w.tenant = v_tenant;
    IF NOT FOUND THEN
        PERFORM ledger_private.raise_no_webhook(list_webhook_deliveries.webhook_id, v_tenant, false);  -- DX060
    END IF;
    IF list_webhook_deliveries.outcome IS NOT NULL
       AND list_webhook_deliveries.outcome NOT IN ('delivered', 'failed', 'dead_letter') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX061', COLUMN = 'outcome',
            MESSAGE = format('outcome: must be delivered, failed or dead_letter, got %s',
                             quote_literal(left(list_webhook_deliveries.outcome, 40))),
            HINT = 'Leave it out for every outcome.';
    END IF;
    RETURN QUERY
        SELECT d.delivery_id, d.position, d.event_id, d.attempt, d.outcome, d.status, d.error,
               d.duration_ms, d.attempted_at
          FROM ledger_private.webhook_delivery AS d
         WHERE d.webhook_id = v_hook_id
           AND (list_webhook_deliveries.outcome IS NULL OR d.outcome = list_webhook_deliveries.outcome)
           AND (list_webhook_deliveries.before IS NULL OR d.delivery_id < list_webhook_deliveries.before)
         ORDER BY d.delivery_id DESC
         LIMIT list_webhook_deliveries.page_size;
END
$$;

COMMENT ON FUNCTION ledger.list_webhook_deliveries(text, text, bigint, integer, text) IS
    'A webhook endpoint''s delivery attempts and dead letters, newest first';
GRANT EXECUTE ON FUNCTION ledger.list_webhook_deliveries(text, text, bigint, integer, text) TO doublex_api;
