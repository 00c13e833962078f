-- ledger_private.event_of_account(old, new): account.created (old NULL: the new account),
-- account.status_changed (from, to) and account.limits_changed (min_balance, max_balance,
-- allow_negative, max_leg_amount from and to, amounts as strings); an update that changes
-- both writes both. The actor is created_by, or changed_by for a change. The rows come as
-- jsonb (ledger_private.record_event).

CREATE OR REPLACE FUNCTION ledger_private.event_of_account(p_old_row jsonb, p_new_row jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_old ledger_private.account := jsonb_populate_record(NULL::ledger_private.account, p_old_row);
    v_new ledger_private.account := jsonb_populate_record(NULL::ledger_private.account, p_new_row);
BEGIN
    IF p_old_row IS NULL THEN
        PERFORM ledger_private.emit_event(
            v_new.tenant, 'account.created', v_new.created_by,
            jsonb_build_object(
                'code', v_new.code, 'name', v_new.name, 'ccy', v_new.ccy, 'type', v_new.type,
                'status', v_new.status, 'metadata', v_new.metadata)
            || ledger_private.account_limits_json(v_new));
        RETURN;
    END IF;
    IF v_old.status IS DISTINCT FROM v_new.status THEN
        PERFORM ledger_private.emit_event(
            v_new.tenant, 'account.status_changed', v_new.changed_by,
            jsonb_build_object('code', v_new.code, 'from', v_old.status, 'to', v_new.status));
    END IF;
    IF ledger_private.account_limits_json(v_old) IS DISTINCT FROM ledger_private.account_limits_json(v_new) THEN
        PERFORM ledger_private.emit_event(
            v_new.tenant, 'account.limits_changed', v_new.changed_by,
            jsonb_build_object('code', v_new.code,
                               'from', ledger_private.account_limits_json(v_old),
                               'to', ledger_private.account_limits_json(v_new)));
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.event_of_account(jsonb, jsonb) IS
    'Queues account.created, account.status_changed or account.limits_changed';
