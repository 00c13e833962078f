-- ledger_private.leg_array_problem(legs jsonb) → text: 'not_array' when legs is not a JSON
-- array, 'count' when it holds fewer than api_limit('legs_min') or more than
-- api_limit('legs_max') elements, NULL otherwise. The one definition of the legs array's
-- shape (each leg's is leg_problem's): normalize_legs raises from it, the posting paths
-- test it inlined.

CREATE OR REPLACE FUNCTION ledger_private.leg_array_problem(p_legs jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE
               WHEN jsonb_typeof(p_legs) IS DISTINCT FROM 'array' THEN 'not_array'
               WHEN jsonb_array_length(p_legs) NOT BETWEEN ledger_private.api_limit('legs_min')
                                                     AND ledger_private.api_limit('legs_max')
                   THEN 'count'
           END
$$;

COMMENT ON FUNCTION ledger_private.leg_array_problem(jsonb) IS
    'not_array or count when a legs array is misshapen, NULL otherwise';
