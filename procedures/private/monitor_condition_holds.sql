-- ledger_private.monitor_condition_holds(value, condition, threshold) → boolean: whether a
-- balance monitor's condition (<, <=, >, >=) holds for a value. SQL and IMMUTABLE so that it
-- is inlined.

CREATE OR REPLACE FUNCTION ledger_private.monitor_condition_holds(
    p_value numeric, p_condition text, p_threshold numeric
) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE p_condition
               WHEN '<' THEN p_value < p_threshold
               WHEN '<=' THEN p_value <= p_threshold
               WHEN '>' THEN p_value > p_threshold
               WHEN '>=' THEN p_value >= p_threshold
           END
$$;

COMMENT ON FUNCTION ledger_private.monitor_condition_holds(numeric, text, numeric) IS
    'Whether a balance monitor''s condition holds for a value';
