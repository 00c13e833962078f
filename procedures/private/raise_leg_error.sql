-- ledger_private.raise_leg_error(errcode, leg_no, field, problem, hint): raises the error of
-- one field of one leg as the leg trigger reports it: COLUMN legs[<leg_no - 1>].<field>
-- (the request's 0-based index), MESSAGE '<column>: <problem>', HINT when one is given.
-- The row checks of ledger_private.leg_before_insert (DX006, DX005, DX008, DX007, DX004)
-- raise through it; it is called only once a check has failed.

CREATE OR REPLACE FUNCTION ledger_private.raise_leg_error(
    p_errcode text, p_leg_no integer, p_field text, p_problem text, p_hint text DEFAULT NULL
) RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_column text := format('legs[%s].%s', p_leg_no - 1, p_field);
BEGIN
    IF p_hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = p_errcode, COLUMN = v_column, MESSAGE = v_column || ': ' || p_problem;
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = p_errcode, COLUMN = v_column, MESSAGE = v_column || ': ' || p_problem, HINT = p_hint;
END
$$;

COMMENT ON FUNCTION ledger_private.raise_leg_error(text, integer, text, text, text) IS
    'Raises a leg field''s error: COLUMN legs[i].field, MESSAGE naming it, optional HINT';
