-- ledger_private.event_of_account(old, new): account.created (old NULL: the new account),
-- account.status_changed (from, to) and account.limits_changed (min_balance, max_balance,
-- allow_negative, max_leg_amount from and to, amounts as strings); an update that changes
-- both writes both. The actor is created_by, or changed_by for a change.

CREATE OR REPLACE FUNCTION ledger_private.event_of_account(
    p_old ledger_private.account, p_new ledger_private.account
) RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF p_old IS NULL THEN
        PERFORM ledger_private.emit_event(
            p_new.tenant, 'account.created', p_new.created_by,
            jsonb_build_object(
                'code', p_new.code, 'name', p_new.name, 'ccy', p_new.ccy, 'type', p_new.type,
                'status', p_new.status, 'metadata', p_new.metadata)
            || ledger_private.account_limits_json(p_new));
        RETURN;
    END IF;
    IF p_old.status IS DISTINCT FROM p_new.status THEN
        PERFORM ledger_private.emit_event(
            p_new.tenant, 'account.status_changed', p_new.changed_by,
            jsonb_build_object('code', p_new.code, 'from', p_old.status, 'to', p_new.status));
    END IF;
    IF ledger_private.account_limits_json(p_old) IS DISTINCT FROM ledger_private.account_limits_json(p_new) THEN
        PERFORM ledger_private.emit_event(
            p_new.tenant, 'account.limits_changed', p_new.changed_by,
            jsonb_build_object('code', p_new.code,
                               'from', ledger_private.account_limits_json(p_old),
                               'to', ledger_private.account_limits_json(p_new)));
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.event_of_account(ledger_private.account, ledger_private.account) IS
    'Queues account.created, account.status_changed or account.limits_changed';
