-- ledger.sweep_expired_holds: mark the holds past expires_at as expired, in every tenant.
--
--   SELECT * FROM ledger.sweep_expired_holds();   → (tenant, expired) per tenant it marked
--
-- The REST service runs it every DOUBLEX_HOLD_SWEEP_SECONDS, as its own login without a key,
-- and counts the holds it marked in ledger_holds_total{status="expired"}. For each tenant
-- that has an open hold past its expires_at (ledger_private.open_hold_leg, so the cost
-- follows the open holds, not every hold ever made), it runs ledger.expire_holds
-- (the one home of the marking; as the service's housekeeping there); the tenants without
-- one are left out of the answer. The sweep only records what is already true: a hold past
-- expires_at counts as released for every balance, and can no longer be captured or voided
-- (DX052), whether or not this ran. `doublex maintain` marks one tenant (ledger.expire_holds).
-- Granted to the REST service's own login (doublex_service) and to nobody else (class
-- service in pgtap/17_access_matrix.sql); the owner may call it too.

CREATE OR REPLACE FUNCTION ledger.sweep_expired_holds()
RETURNS TABLE (tenant text, expired integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN QUERY
        SELECT d.tenant, ledger.expire_holds(d.tenant)
          FROM (SELECT DISTINCT o.tenant
                  FROM ledger_private.open_hold_leg AS o
                 WHERE o.expires_at IS NOT NULL
                   AND NOT ledger_private.hold_is_live(o.expires_at)) AS d
         ORDER BY d.tenant;
END
$$;

COMMENT ON FUNCTION ledger.sweep_expired_holds() IS
    'Marks the holds past expires_at as expired in every tenant (the service''s periodic sweep); answers how many per tenant';
-- The service's own login runs it periodically, without a key.
GRANT EXECUTE ON FUNCTION ledger.sweep_expired_holds() TO doublex_service;
