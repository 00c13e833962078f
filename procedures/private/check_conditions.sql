-- ledger_private.check_conditions(tenant, conditions): raises unless every balance
-- condition of a request holds. conditions is normalize_conditions' canonical array (NULL:
-- nothing to check). Called by the writers that take conditions (post_journal_request for
-- ledger.post_journal and ledger.capture_hold, ledger.create_hold) after they wrote the
-- journal or hold and checked the limits, so each condition reads the balance after this
-- request: the account's posted or available balance (position_of_account, rounded to its
-- currency's decimals as ledger.get_available_balance answers it) against the threshold.
-- At commit: under SERIALIZABLE the balance read takes SSI predicate locks on the account's
-- legs and hold legs, so a concurrent writer that changes them and commits first makes this
-- transaction fail with 40001 (retried) rather than commit on a condition it no longer
-- meets: in the serial order SSI guarantees, the condition holds right after this request.
-- Writes the same SQL caller makes later in its own transaction are not re-checked
-- (sql/README.md, "Balance conditions").
-- Raises DX006 (conditions[i].account: no such account in the tenant) and DX057 (the first
-- condition that is false: DETAIL names account, field, op, threshold and the value).

CREATE OR REPLACE FUNCTION ledger_private.check_conditions(p_tenant text, p_conditions jsonb) RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_condition record;
    v_account ledger_private.account;
    v_balance ledger.available_balance;
    v_value numeric;
    v_field text;
    v_holds boolean;
BEGIN
    FOR v_condition IN
        SELECT c.ordinality - 1 AS position, c.value ->> 'account' AS account,
               c.value ->> 'field' AS field, c.value ->> 'op' AS op,
               (c.value ->> 'amount')::numeric AS amount
          FROM jsonb_array_elements(p_conditions) WITH ORDINALITY AS c
         ORDER BY c.ordinality
    LOOP
        v_field := format('conditions[%s]', v_condition.position);
        v_account := ledger_private.find_posting_account(p_tenant, v_condition.account,
                                                         v_field || '.account');
        v_balance := ledger_private.to_available_balance(v_account.account_id);
        v_value := CASE v_condition.field WHEN 'posted' THEN v_balance.posted ELSE v_balance.available END;
        v_holds := CASE v_condition.op
                       WHEN '>=' THEN v_value >= v_condition.amount
                       WHEN '<=' THEN v_value <= v_condition.amount
                       ELSE v_value = v_condition.amount
                   END;
        IF NOT v_holds THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX057', COLUMN = v_field,
                MESSAGE = format('%s: %s balance of %s would be %s %s, not %s %s', v_field,
                                 v_condition.field, v_condition.account, v_value, v_balance.ccy,
                                 v_condition.op, v_condition.amount),
                DETAIL = format('account %s, field %s, op %s, threshold %s, actual %s %s',
                                v_condition.account, v_condition.field, v_condition.op,
                                v_condition.amount, v_value, v_balance.ccy),
                HINT = 'Nothing was written; the request is refused whole.';
        END IF;
    END LOOP;
END
$$;

COMMENT ON FUNCTION ledger_private.check_conditions(text, jsonb) IS
    'Raises DX057 unless every balance condition holds on the balances after the request (DX006 for an unknown account)';
