-- ledger_private.condition_problem(condition jsonb) → text: what is wrong with the shape of
-- one balance condition, or NULL when it is an object with account, op and amount (and
-- optionally field) as well-formed strings:
--   account  an account code; field  'available' (the default) or 'posted';
--   op       '>=', '<=' or '='; amount  a decimal string, negative allowed (a credit line's
--            floor is below zero), at most api_limit('amount_digits') digits before and
--            after its point.
-- The tests run in order (not_object, unknown_field, account, field, op, amount). The one
-- definition of a condition's shape: normalize_conditions raises from it.

CREATE OR REPLACE FUNCTION ledger_private.condition_problem(p_condition jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
               WHEN jsonb_typeof(p_condition) <> 'object' THEN 'not_object'
               WHEN p_condition - 'account' - 'field' - 'op' - 'amount' <> '{}'::jsonb THEN 'unknown_field'
               WHEN jsonb_typeof(p_condition -> 'account') IS DISTINCT FROM 'string'
                    OR p_condition ->> 'account' = '' THEN 'account'
               WHEN p_condition ? 'field'
                    AND (jsonb_typeof(p_condition -> 'field') <> 'string'
                         OR p_condition ->> 'field' NOT IN ('available', 'posted')) THEN 'field'
               WHEN jsonb_typeof(p_condition -> 'op') IS DISTINCT FROM 'string'
                    OR p_condition ->> 'op' NOT IN ('>=', '<=', '=') THEN 'op'
               WHEN jsonb_typeof(p_condition -> 'amount') IS DISTINCT FROM 'string'
                    OR p_condition ->> 'amount' !~ ('^-?[0-9]{1,' || ledger_private.api_limit('amount_digits')::text
                                                    || '}(\.[0-9]{1,' || ledger_private.api_limit('amount_digits')::text
                                                    || '})?$') THEN 'amount'
           END
$$;

COMMENT ON FUNCTION ledger_private.condition_problem(jsonb) IS
    'The shape problem of one balance condition (not_object, unknown_field, account, field, op, amount) or NULL';
