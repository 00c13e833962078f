-- ledger_private.evaluate_monitors(account_id, cause, monitor_id): evaluates the balance
-- monitors of an account (those naming it and those of its type; only monitor_id when
-- given) against its balances now (ledger_private.position_of_account, the one home of the
-- available rule), and fires on a change of state:
--   the condition holds and did not at the last evaluation → monitor.triggered
--   it no longer holds and did                              → monitor.resolved
-- A (monitor, account) never evaluated counts as not triggered. The state is the row of
-- ledger_private.monitor_state, written only on a change, in the transaction of the change
-- with its event (ledger_private.emit_event, PgQ): two SERIALIZABLE transactions that would
-- both change it conflict on the row, and one is rolled back (40001, retried: it then sees
-- the state the first committed). Reading the balances takes the predicate locks that make
-- the evaluation exact against every concurrent writer of the account.
-- Called at commit by the watch triggers (rules/monitor_watch.sql) and by
-- ledger.create_monitor for the accounts a new monitor covers.
-- cause: the row that changed the balance, as jsonb (a leg, a hold leg, a hold resolution),
-- or {"actor": …}: the events' actor is the change's (the resolution's, else the journal's
-- or the hold's creator), looked up only when an event fires, so that an evaluation that
-- changes nothing reads no journal or hold (the indexes every posting writes).
-- Payload: monitor_id, account (code), ccy, field, condition, threshold, value (the
-- balance, in the currency's decimals; amounts as strings).

CREATE OR REPLACE FUNCTION ledger_private.evaluate_monitors(
    p_account_id bigint, p_cause jsonb, p_monitor_id uuid DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_account ledger_private.account;
    v_monitor ledger_private.monitor;
    v_position record;
    v_read boolean := false;
    v_value numeric;
    v_holds boolean;
    v_was boolean;
    v_actor text;
BEGIN
    SELECT a.* INTO STRICT v_account FROM ledger_private.account AS a WHERE a.account_id = p_account_id;
    FOR v_monitor IN
        SELECT m.* FROM ledger_private.monitor AS m
         WHERE m.tenant = v_account.tenant
           AND (m.account_id = p_account_id OR m.account_type = v_account.type)
           AND (p_monitor_id IS NULL OR m.monitor_id = p_monitor_id)
         ORDER BY m.monitor_id
    LOOP
        IF NOT v_read THEN
            SELECT p.posted, p.available, ledger_private.currency_exponent(p.ccy) AS exponent
              INTO v_position FROM ledger_private.position_of_account(p_account_id) AS p;
            v_read := true;
        END IF;
        v_value := CASE v_monitor.field WHEN 'available' THEN v_position.available ELSE v_position.posted END;
        v_holds := ledger_private.monitor_condition_holds(v_value, v_monitor.condition, v_monitor.threshold);
        SELECT s.is_triggered INTO v_was FROM ledger_private.monitor_state AS s
         WHERE s.monitor_id = v_monitor.monitor_id AND s.account_id = p_account_id;
        CONTINUE WHEN v_holds = coalesce(v_was, false);
        INSERT INTO ledger_private.monitor_state AS s (monitor_id, account_id, is_triggered, value)
        VALUES (v_monitor.monitor_id, p_account_id, v_holds, v_value)
        ON CONFLICT (monitor_id, account_id) DO UPDATE
            SET is_triggered = EXCLUDED.is_triggered, value = EXCLUDED.value, changed_at = now();
        v_actor := coalesce(
            v_actor, p_cause ->> 'actor', p_cause ->> 'resolved_by',
            (SELECT j.created_by FROM ledger_private.journal AS j
              WHERE j.journal_id = (p_cause ->> 'journal_id')::uuid),
            (SELECT h.created_by FROM ledger_private.hold AS h
              WHERE h.hold_id = (p_cause ->> 'hold_id')::uuid));
        PERFORM ledger_private.emit_event(
            v_account.tenant, CASE WHEN v_holds THEN 'monitor.triggered' ELSE 'monitor.resolved' END,
            v_actor,
            jsonb_build_object(
                'monitor_id', v_monitor.monitor_id, 'account', v_account.code, 'ccy', v_account.ccy,
                'field', v_monitor.field, 'condition', v_monitor.condition,
                'threshold', v_monitor.threshold::text,
                'value', round(v_value, v_position.exponent)::text));
    END LOOP;
END
$$;

COMMENT ON FUNCTION ledger_private.evaluate_monitors(bigint, jsonb, uuid) IS
    'Evaluates an account''s balance monitors and fires monitor.triggered or monitor.resolved on a change of state';
