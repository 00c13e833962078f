-- ledger_private.normalize_conditions(conditions jsonb) → jsonb: checks the shape of a
-- request's balance conditions and returns their canonical form for the idempotency
-- fingerprint: each condition with its field spelled out ("available" when left out), the
-- amount's text as sent (so "100" and "100.00" are different requests, as for legs). NULL
-- or an empty array → NULL: no conditions, and the fingerprint of a request without them.
-- The shape of one condition is condition_problem's; this names the problem and raises.
-- Raises DX056 (not an array, more than api_limit('conditions_max'), or a malformed
-- condition: the message names conditions[i] and its field).

CREATE OR REPLACE FUNCTION ledger_private.normalize_conditions(p_conditions jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_bad record;
    v_field text;
BEGIN
    IF p_conditions IS NULL OR p_conditions = 'null'::jsonb OR p_conditions = '[]'::jsonb THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(p_conditions) <> 'array' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX056', COLUMN = 'conditions',
            MESSAGE = format('conditions: must be a JSON array, got %s', jsonb_typeof(p_conditions));
    END IF;
    IF jsonb_array_length(p_conditions) > ledger_private.api_limit('conditions_max') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX056', COLUMN = 'conditions',
            MESSAGE = format('conditions: at most %s conditions, got %s',
                             ledger_private.api_limit('conditions_max'), jsonb_array_length(p_conditions));
    END IF;

    SELECT c.ordinality - 1 AS position, c.value AS condition,
           ledger_private.condition_problem(c.value) AS problem
      INTO v_bad
      FROM jsonb_array_elements(p_conditions) WITH ORDINALITY AS c
     WHERE ledger_private.condition_problem(c.value) IS NOT NULL
     ORDER BY c.ordinality
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN (SELECT jsonb_agg(jsonb_build_object('field', 'available') || c.value ORDER BY c.ordinality)
                  FROM jsonb_array_elements(p_conditions) WITH ORDINALITY AS c);
    END IF;

    -- One message per problem, on the element or the field it names.
    v_field := format('conditions[%s]', v_bad.position)
               || CASE WHEN v_bad.problem IN ('account', 'field', 'op', 'amount')
                       THEN '.' || v_bad.problem ELSE '' END;
    RAISE EXCEPTION USING
        ERRCODE = 'DX056', COLUMN = v_field,
        MESSAGE = v_field || ': ' || CASE v_bad.problem
            WHEN 'not_object' THEN 'must be an object with account, op, amount and optionally field'
            WHEN 'unknown_field' THEN
                'unknown field(s) ' || (SELECT string_agg(k, ', ' ORDER BY k)
                                          FROM jsonb_object_keys(v_bad.condition - 'account' - 'field'
                                                                 - 'op' - 'amount') AS k)
            WHEN 'account' THEN 'required, an account code string'
            WHEN 'field' THEN format('must be "available" or "posted", got %s', v_bad.condition -> 'field')
            WHEN 'op' THEN format('must be ">=", "<=" or "=", got %s',
                                  coalesce((v_bad.condition -> 'op')::text, 'nothing'))
            ELSE format('must be a decimal string such as "100.00" or "-500" (at most %s digits'
                        || ' before and after the point)', ledger_private.api_limit('amount_digits'))
        END;
END
$$;

COMMENT ON FUNCTION ledger_private.normalize_conditions(jsonb) IS
    'Checks a request''s balance conditions (DX056) and returns their canonical form, NULL for none';
