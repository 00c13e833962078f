-- ledger.create_monitor: watch a balance; announce once when a condition on it becomes true
-- (event monitor.triggered) and once when it stops being true (monitor.resolved).
--
--   SELECT * FROM ledger.create_monitor(account => '1000-CASH', field => 'available',
--                                       condition => '<', threshold => 100);
--   SELECT * FROM ledger.create_monitor(account_type => 'liability', field => 'posted',
--                                       condition => '>=', threshold => 1000000);
--
-- account       the code of one account (DX020 when none), or
-- account_type  every account of this type (asset, liability, equity, income, expense),
--               present and future; exactly one of the two (DX063)
-- field         available (posted minus pending holds that reduce it) or posted, on the
--               account's normal side (DX063)
-- condition     <, <=, > or >= (DX063)
-- threshold     a finite number below 10^amount_digits in magnitude (DX063)
-- A tenant has at most api_limit('monitors_max') monitors (DX065).
--
-- Evaluated in the transaction of every change that moves a covered account's balance
-- (ledger_private.evaluate_monitors, at commit: postings, holds, captures, voids, the expiry
-- sweep), and here for the accounts it covers now: an account where the condition already
-- holds fires monitor.triggered in this transaction. A hold that expires by time alone is
-- seen by the next change of its account or when the sweep (ledger.expire_holds) marks it.
-- Recorded in the audit log. Capability admin (DX040–DX043, authorize first): a monitor is
-- the tenant's configuration, like its accounts' limits and its keys.

CREATE OR REPLACE FUNCTION ledger.create_monitor(
    account text DEFAULT NULL,
    account_type text DEFAULT NULL,
    field text DEFAULT NULL,
    condition text DEFAULT NULL,
    threshold numeric DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.monitor_info
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize_write('admin', create_monitor.tenant);
    v_monitor ledger_private.monitor;
    v_account_id bigint;
BEGIN
    IF (create_monitor.account IS NULL) = (create_monitor.account_type IS NULL) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX063', COLUMN = 'account',
            MESSAGE = 'account: name either one account or an account_type, not both or neither',
            HINT = 'A monitor of a type watches every account of that type, present and future.';
    END IF;
    IF create_monitor.account_type NOT IN ('asset', 'liability', 'equity', 'income', 'expense') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX063', COLUMN = 'account_type',
            MESSAGE = format('account_type: must be asset, liability, equity, income or expense, got %s',
                             create_monitor.account_type);
    END IF;
    IF create_monitor.field IS NULL OR create_monitor.field NOT IN ('available', 'posted') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX063', COLUMN = 'field',
            MESSAGE = format('field: must be available or posted, got %s', coalesce(create_monitor.field, 'NULL'));
    END IF;
    IF create_monitor.condition IS NULL OR create_monitor.condition NOT IN ('<', '<=', '>', '>=') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX063', COLUMN = 'condition',
            MESSAGE = format('condition: must be <, <=, > or >=, got %s', coalesce(create_monitor.condition, 'NULL'));
    END IF;
    IF create_monitor.threshold IS NULL OR create_monitor.threshold = 'NaN'
       OR abs(create_monitor.threshold) >= 10::numeric ^ ledger_private.api_limit('amount_digits') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX063', COLUMN = 'threshold',
            MESSAGE = format('threshold: must be a number below 10^%s in magnitude, got %s',
                             ledger_private.api_limit('amount_digits'),
                             coalesce(create_monitor.threshold::text, 'NULL'));
    END IF;
    IF create_monitor.account IS NOT NULL THEN
        v_account_id := (ledger_private.find_account(v_who.tenant, create_monitor.account)).account_id;
    END IF;
    IF (SELECT count(*) FROM ledger_private.monitor AS m WHERE m.tenant = v_who.tenant)
       >= ledger_private.api_limit('monitors_max') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX065', COLUMN = 'tenant',
            MESSAGE = format('tenant: %s already has %s balance monitors, the most it may have',
                             v_who.tenant, ledger_private.api_limit('monitors_max')),
            HINT = 'Delete a monitor it no longer needs (ledger.delete_monitor), or watch an account_type.';
    END IF;
    INSERT INTO ledger_private.monitor AS m
           (monitor_id, tenant, account_id, account_type, field, condition, threshold, created_by)
    VALUES (ledger_private.uuid_v7(), v_who.tenant, v_account_id, create_monitor.account_type,
            create_monitor.field, create_monitor.condition, create_monitor.threshold, v_who.actor)
    RETURNING m.* INTO v_monitor;
    PERFORM ledger_private.append_audit(v_who, 'create_monitor', v_monitor.monitor_id::text,
                                        jsonb_build_object(
                                            'account', create_monitor.account,
                                            'account_type', create_monitor.account_type,
                                            'field', v_monitor.field, 'condition', v_monitor.condition,
                                            'threshold', v_monitor.threshold::text));
    PERFORM ledger_private.evaluate_monitors(a.account_id, jsonb_build_object('actor', v_who.actor),
                                             v_monitor.monitor_id)
       FROM ledger_private.account AS a
      WHERE a.tenant = v_who.tenant
        AND (a.account_id = v_account_id OR a.type = v_monitor.account_type)
      ORDER BY a.account_id;
    RETURN ledger_private.to_monitor_info(v_monitor);
END
$$;

COMMENT ON FUNCTION ledger.create_monitor(text, text, text, text, numeric, text) IS
    'Creates a balance monitor (an account or a type; available or posted; <, <=, >, >=; a threshold), evaluated now';
GRANT EXECUTE ON FUNCTION ledger.create_monitor(text, text, text, text, numeric, text) TO doublex_api;
