-- ledger_private.normalize_legs(legs jsonb) → jsonb: checks the shape of a legs array and
-- returns its canonical form for the idempotency fingerprint. Once every leg is an object
-- with exactly account, side, amount and ccy as strings, the jsonb value itself is
-- canonical (jsonb orders keys and drops whitespace); each amount keeps its exact text, so
-- "100" and "100.00" are different requests. Business checks (accounts, currencies,
-- balance) happen when the legs are written.
-- The array's shape is leg_array_problem's, each leg's is leg_problem's: this function
-- names the problem and raises.
-- Raises DX001 (malformed), DX002 (legs outside api_limit legs_min–legs_max), DX003 (amount
-- not a positive decimal string), DX005 (currency code malformed).

CREATE OR REPLACE FUNCTION ledger_private.normalize_legs(p_legs jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_bad record;
    v_field text;
BEGIN
    CASE ledger_private.leg_array_problem(p_legs)
        WHEN 'not_array' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX001', COLUMN = 'legs',
                MESSAGE = format('legs: must be a JSON array, got %s', coalesce(jsonb_typeof(p_legs), 'NULL'));
        WHEN 'count' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX002', COLUMN = 'legs',
                MESSAGE = format('legs: a journal needs %s to %s legs, got %s',
                                 ledger_private.api_limit('legs_min'), ledger_private.api_limit('legs_max'),
                                 jsonb_array_length(p_legs));
        ELSE
            NULL;  -- an array of a valid length: look at each leg
    END CASE;

    -- One pass finds the first malformed leg (leg_problem is inlined into the query).
    SELECT l.ordinality - 1 AS position, l.value AS leg, ledger_private.leg_problem(l.value) AS problem
      INTO v_bad
      FROM jsonb_array_elements(p_legs) WITH ORDINALITY AS l
     WHERE ledger_private.leg_problem(l.value) IS NOT NULL
     ORDER BY l.ordinality
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN p_legs;
    END IF;

    v_field := format('legs[%s]', v_bad.position);
    CASE v_bad.problem
        WHEN 'not_object' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX001', COLUMN = v_field,
                MESSAGE = format('%s: must be an object with account, side, amount and ccy', v_field);
        WHEN 'unknown_field' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX001', COLUMN = v_field,
                MESSAGE = format('%s: unknown field(s) %s', v_field,
                                 (SELECT string_agg(k, ', ' ORDER BY k)
                                    FROM jsonb_object_keys(v_bad.leg - 'account' - 'side'
                                                           - 'amount' - 'ccy') AS k));
        WHEN 'account' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX001', COLUMN = v_field || '.account',
                MESSAGE = format('%s.account: required, an account code string', v_field);
        WHEN 'side' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX001', COLUMN = v_field || '.side',
                MESSAGE = format('%s.side: must be "debit" or "credit", got %s',
                                 v_field, coalesce((v_bad.leg -> 'side')::text, 'nothing'));
        WHEN 'amount_format' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX003', COLUMN = v_field || '.amount',
                MESSAGE = format('%s.amount: must be a positive decimal string such as "12.50", got %s',
                                 v_field, coalesce((v_bad.leg -> 'amount')::text, 'nothing')),
                HINT = 'Amounts travel as strings so that no float ever touches them.';
        WHEN 'amount_zero' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX003', COLUMN = v_field || '.amount',
                MESSAGE = format('%s.amount: must be greater than zero, got %s',
                                 v_field, v_bad.leg ->> 'amount'),
                HINT = 'The side says the direction; amounts are always positive.';
        ELSE
            RAISE EXCEPTION USING
                ERRCODE = 'DX005', COLUMN = v_field || '.ccy',
                MESSAGE = format('%s.ccy: must be a three-letter ISO 4217 code, got %s',
                                 v_field, coalesce((v_bad.leg -> 'ccy')::text, 'nothing'));
    END CASE;
END
$$;

COMMENT ON FUNCTION ledger_private.normalize_legs(jsonb) IS
    'Checks the shape of a legs array and returns its canonical form';
