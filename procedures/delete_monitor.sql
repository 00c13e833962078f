-- ledger.delete_monitor: stop watching; answers the monitor as it was.
--
--   SELECT * FROM ledger.delete_monitor('01938a7e-…');
--
-- Its states go with it, and it fires nothing: a monitor deleted while triggered is never
-- resolved. No monitor with that id in the tenant → DX064. Recorded in the audit log.
-- Capability admin (DX040–DX043, authorize first).

CREATE OR REPLACE FUNCTION ledger.delete_monitor(
    monitor_id uuid,
    tenant text DEFAULT NULL
) RETURNS ledger.monitor_info
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize_write('admin', delete_monitor.tenant);
    v_monitor ledger_private.monitor;
    v_info ledger.monitor_info;
BEGIN
    SELECT m.* INTO v_monitor FROM ledger_private.monitor AS m
     WHERE m.tenant = v_who.tenant AND m.monitor_id = delete_monitor.monitor_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX064', COLUMN = 'monitor_id',
            MESSAGE = format('monitor_id: no balance monitor %s in tenant %s',
                             coalesce(delete_monitor.monitor_id::text, 'NULL'), v_who.tenant);
    END IF;
    v_info := ledger_private.to_monitor_info(v_monitor);
    DELETE FROM ledger_private.monitor AS m WHERE m.monitor_id = v_monitor.monitor_id;
    PERFORM ledger_private.append_audit(v_who, 'delete_monitor', v_monitor.monitor_id::text, '{}');
    RETURN v_info;
END
$$;

COMMENT ON FUNCTION ledger.delete_monitor(uuid, text) IS
    'Deletes a balance monitor and its states; answers it as it was';
GRANT EXECUTE ON FUNCTION ledger.delete_monitor(uuid, text) TO doublex_api;
