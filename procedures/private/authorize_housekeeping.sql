-- ledger_private.authorize_housekeeping(capability, tenant) → principal: authorize, except
-- that the REST service's own login (doublex_service) without a key may act on any existing
-- tenant (NULL means `default`; DX043 for an unknown one), actor `service`. Only the
-- housekeeping functions use it: ledger.roll_up_balances (folds legs into checkpoints, which
-- changes no balance a client sees), ledger.recon_mismatch_totals (counts for /metrics) and
-- ledger.expire_holds (records expiries that already count; ledger.sweep_expired_holds runs
-- it for every tenant).

CREATE OR REPLACE FUNCTION ledger_private.authorize_housekeeping(p_capability text, p_tenant text)
RETURNS ledger_private.principal
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_tenant text := coalesce(p_tenant, 'default');
BEGIN
    IF session_user <> 'doublex_service' OR current_setting('doublex.api_key', true) <> '' THEN
        RETURN ledger_private.authorize(p_capability, p_tenant);
    END IF;
    PERFORM ledger_private.check_tenant(v_tenant);
    PERFORM ledger_private.check_tenant_exists(v_tenant);
    RETURN ROW(v_tenant, 'service')::ledger_private.principal;
END
$$;

COMMENT ON FUNCTION ledger_private.authorize_housekeeping(text, text) IS
    'authorize, or the service login without a key acting on any existing tenant (housekeeping only)';
