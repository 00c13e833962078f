-- ledger.webhook_endpoints: the live webhook endpoints of every tenant, oldest first, each
-- with the age of its oldest undelivered event in seconds (0 when it has none): the
-- delivery worker starts one task per endpoint from it and reports the largest age as
-- webhook_delivery_lag_seconds.
--
--   SELECT * FROM ledger.webhook_endpoints();   → webhook_id, tenant, lag_seconds
--
-- Granted to the service's login (doublex_service) alone; the owner may call it.

CREATE OR REPLACE FUNCTION ledger.webhook_endpoints()
RETURNS SETOF ledger.webhook_endpoint
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT w.webhook_id, w.tenant,
           coalesce(extract(epoch FROM now() - (
               SELECT e.occurred_at FROM ledger_private.event AS e
                WHERE e.tenant = w.tenant AND e.position > w.cursor
                  AND (w.types IS NULL OR e.type = ANY (w.types))
                ORDER BY e.position
                LIMIT 1)), 0)::double precision
      FROM ledger_private.webhook AS w
     WHERE w.deleted_at IS NULL
     ORDER BY w.created_at, w.webhook_id
$$;

COMMENT ON FUNCTION ledger.webhook_endpoints() IS
    'Delivery worker: the live webhook endpoints and the age of their oldest undelivered event';
-- The service's own login runs it, without a key.
GRANT EXECUTE ON FUNCTION ledger.webhook_endpoints() TO doublex_service;
