-- ledger_private.tenant_has_monitors(tenant) → boolean: whether the tenant has a balance
-- monitor. The WHEN of the watch triggers on legs, hold legs and hold resolutions
-- (migrations/0022_balance_monitors.sql): evaluated per row as it is written, so a tenant
-- without monitors queues no deferred trigger and its posting path pays one index probe per
-- leg. PL/pgSQL so that the probe's plan is cached for the session (a SQL function with a
-- subquery is not inlined and would be planned again for every statement). Inside a
-- SERIALIZABLE posting the probe takes a predicate lock, so a posting racing the tenant's
-- first ledger.create_monitor cannot slip past both the trigger and the creation's own
-- evaluation.

CREATE OR REPLACE FUNCTION ledger_private.tenant_has_monitors(p_tenant text) RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN EXISTS (SELECT FROM ledger_private.monitor AS m WHERE m.tenant = p_tenant);
END
$$;

COMMENT ON FUNCTION ledger_private.tenant_has_monitors(text) IS
    'Whether the tenant has a balance monitor (the WHEN of the monitor watch triggers)';
