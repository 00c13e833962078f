-- ledger_private.leg_problem(leg jsonb) → text: what is wrong with the shape of one leg, or
-- NULL when it is an object with exactly account, side, amount and ccy as well-formed
-- strings (an amount has at most api_limit('amount_digits') digits before and after its
-- point). The tests run in order, so each may rely on the ones before it (the amount is
-- cast to numeric only once its text is a decimal). SQL and IMMUTABLE so that it is
-- inlined into the queries that use it (normalize_legs, post_journal_request, the batch).

CREATE OR REPLACE FUNCTION ledger_private.leg_problem(p_leg jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
               WHEN jsonb_typeof(p_leg) <> 'object' THEN 'not_object'
               WHEN p_leg - '{account,side,amount,ccy}'::text[] <> '{}'::jsonb THEN 'unknown_field'
               WHEN jsonb_typeof(p_leg -> 'account') IS DISTINCT FROM 'string'
                    OR p_leg ->> 'account' = '' THEN 'account'
               WHEN jsonb_typeof(p_leg -> 'side') IS DISTINCT FROM 'string'
                    OR p_leg ->> 'side' NOT IN ('debit', 'credit') THEN 'side'
               WHEN jsonb_typeof(p_leg -> 'amount') IS DISTINCT FROM 'string'
                    OR p_leg ->> 'amount' !~ ('^[0-9]{1,' || ledger_private.api_limit('amount_digits')::text
                                              || '}(\.[0-9]{1,' || ledger_private.api_limit('amount_digits')::text
                                              || '})?$') THEN 'amount_format'
               WHEN (p_leg ->> 'amount')::numeric = 0 THEN 'amount_zero'
               WHEN jsonb_typeof(p_leg -> 'ccy') IS DISTINCT FROM 'string'
                    OR p_leg ->> 'ccy' !~ '^[A-Z]{3}$' THEN 'ccy'
           END
$$;

COMMENT ON FUNCTION ledger_private.leg_problem(jsonb) IS
    'The shape problem of one leg (not_object, unknown_field, account, side, amount_format, amount_zero, ccy) or NULL';
