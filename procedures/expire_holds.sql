-- ledger.expire_holds: mark the tenant's holds past expires_at as expired.
--
--   SELECT ledger.expire_holds();   → how many holds it marked
--
-- A hold past expires_at already counts as released for every balance and can no longer be
-- captured or voided (DX052); this sweep records it (a hold_resolution row 'expired', the
-- sweeping actor and time), so that the change is visible in get_hold and list_holds and
-- counted by the service's metrics. `doublex maintain` runs it; the service runs it
-- periodically as its own login (authorize_housekeeping). A capture or void racing the
-- sweep on one hold: one resolution wins (ON CONFLICT DO NOTHING here).
-- Capability operate, on the caller's own tenant (DX040–DX043, authorize first); the
-- service login without a key may run it for any tenant (housekeeping).

CREATE OR REPLACE FUNCTION ledger.expire_holds(
    tenant text DEFAULT NULL
) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize_housekeeping('operate', expire_holds.tenant);
    v_count integer;
BEGIN
    -- The open holds past expires_at (open_hold_leg_expiring): the sweep's cost follows the
    -- open holds, not every hold that ever expired. Their resolution deletes their open legs.
    INSERT INTO ledger_private.hold_resolution AS r (hold_id, tenant, outcome, resolved_by)
    SELECT DISTINCT o.hold_id, o.tenant, 'expired', v_who.actor
      FROM ledger_private.open_hold_leg AS o
     WHERE o.tenant = v_who.tenant
       AND o.expires_at IS NOT NULL
       AND NOT ledger_private.hold_is_live(o.expires_at)
     ORDER BY o.hold_id
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    RETURN v_count;
END
$$;

COMMENT ON FUNCTION ledger.expire_holds(text) IS
    'Marks the holds past expires_at as expired; answers how many';
GRANT EXECUTE ON FUNCTION ledger.expire_holds(text) TO doublex_api;
GRANT EXECUTE ON FUNCTION ledger.expire_holds(text) TO doublex_service;
