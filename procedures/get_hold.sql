-- ledger.get_hold: one hold with its status, legs and resolution.
--
--   SELECT * FROM ledger.get_hold('0190…');
--   → hold_id, status (pending | captured | voided | expired), expires_at, memo, ref,
--     metadata, legs, created_at, created_by, journal_id (of the capture), resolved_at,
--     resolved_by
--
-- A hold past expires_at reads as expired whether or not the sweep has marked it.
-- Raises DX049 when there is no such hold in the tenant.
-- Capability read (or audit), on the caller's own tenant (DX040–DX043, authorize first).

CREATE OR REPLACE FUNCTION ledger.get_hold(
    hold_id uuid,
    tenant text DEFAULT NULL
) RETURNS ledger.hold_info
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant text := (ledger_private.authorize('read', get_hold.tenant)).tenant;
BEGIN
    IF NOT EXISTS (SELECT FROM ledger_private.hold AS h
                    WHERE h.hold_id = get_hold.hold_id AND h.tenant = v_tenant) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX049', COLUMN = 'hold_id',
            MESSAGE = format('hold_id: no hold %s in tenant %s', get_hold.hold_id, v_tenant);
    END IF;
    RETURN ledger_private.to_hold_info(get_hold.hold_id);
END
$$;

COMMENT ON FUNCTION ledger.get_hold(uuid, text) IS
    'One hold with its status (pending, captured, voided, expired), legs and resolution';
GRANT EXECUTE ON FUNCTION ledger.get_hold(uuid, text) TO doublex_api;
