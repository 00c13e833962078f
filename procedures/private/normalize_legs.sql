-- ledger_private.normalize_legs(legs jsonb) → jsonb: checks the shape of a legs array and
-- returns it in canonical form ([{account, side, amount, ccy}], each amount's exact text)
-- for the idempotency fingerprint: "100" and "100.00" are different requests. Business checks (accounts, currencies, balance)
-- happen when the legs are written.
-- Raises DX001 (malformed), DX002 (fewer than two or more than 500 legs), DX003 (amount
-- not a positive decimal string), DX005 (currency code malformed).

CREATE OR REPLACE FUNCTION ledger_private.normalize_legs(p_legs jsonb) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_leg jsonb;
    v_index integer := 0;
    v_field text;
    v_extra text;
    v_amount numeric;
    v_out jsonb := '[]'::jsonb;
BEGIN
    IF p_legs IS NULL OR jsonb_typeof(p_legs) <> 'array' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX001', COLUMN = 'legs',
            MESSAGE = format('legs: must be a JSON array, got %s', coalesce(jsonb_typeof(p_legs), 'NULL'));
    END IF;
    IF jsonb_array_length(p_legs) NOT BETWEEN 2 AND 500 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX002', COLUMN = 'legs',
            MESSAGE = format('legs: a journal needs 2 to 500 legs, got %s', jsonb_array_length(p_legs));
    END IF;

    FOR v_leg IN SELECT e.value FROM jsonb_array_elements(p_legs) AS e LOOP
        v_field := format('legs[%s]', v_index);
        IF jsonb_typeof(v_leg) <> 'object' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX001', COLUMN = v_field,
                MESSAGE = format('%s: must be an object with account, side, amount and ccy', v_field);
        END IF;
        SELECT string_agg(k, ', ' ORDER BY k) INTO v_extra
          FROM jsonb_object_keys(v_leg) AS k
         WHERE k NOT IN ('account', 'side', 'amount', 'ccy');
        IF v_extra IS NOT NULL THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX001', COLUMN = v_field,
                MESSAGE = format('%s: unknown field(s) %s', v_field, v_extra);
        END IF;
        IF jsonb_typeof(v_leg -> 'account') IS DISTINCT FROM 'string' OR v_leg ->> 'account' = '' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX001', COLUMN = v_field || '.account',
                MESSAGE = format('%s.account: required, an account code string', v_field);
        END IF;
        IF jsonb_typeof(v_leg -> 'side') IS DISTINCT FROM 'string'
           OR v_leg ->> 'side' NOT IN ('debit', 'credit') THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX001', COLUMN = v_field || '.side',
                MESSAGE = format('%s.side: must be "debit" or "credit", got %s',
                                 v_field, coalesce((v_leg -> 'side')::text, 'nothing'));
        END IF;
        IF jsonb_typeof(v_leg -> 'amount') IS DISTINCT FROM 'string'
           OR v_leg ->> 'amount' !~ '^[0-9]{1,20}(\.[0-9]{1,20})?$' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX003', COLUMN = v_field || '.amount',
                MESSAGE = format('%s.amount: must be a positive decimal string such as "12.50", got %s',
                                 v_field, coalesce((v_leg -> 'amount')::text, 'nothing')),
                HINT = 'Amounts travel as strings so that no float ever touches them.';
        END IF;
        v_amount := (v_leg ->> 'amount')::numeric;
        IF v_amount <= 0 THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX003', COLUMN = v_field || '.amount',
                MESSAGE = format('%s.amount: must be greater than zero, got %s', v_field, v_leg ->> 'amount'),
                HINT = 'The side says the direction; amounts are always positive.';
        END IF;
        IF jsonb_typeof(v_leg -> 'ccy') IS DISTINCT FROM 'string' OR v_leg ->> 'ccy' !~ '^[A-Z]{3}$' THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX005', COLUMN = v_field || '.ccy',
                MESSAGE = format('%s.ccy: must be a three-letter ISO 4217 code, got %s',
                                 v_field, coalesce((v_leg -> 'ccy')::text, 'nothing'));
        END IF;
        v_out := v_out || jsonb_build_array(jsonb_build_object(
            'account', v_leg ->> 'account',
            'side', v_leg ->> 'side',
            -- The exact text keeps the scale: "1.000" in EUR must still be refused.
            'amount', v_leg ->> 'amount',
            'ccy', v_leg ->> 'ccy'));
        v_index := v_index + 1;
    END LOOP;
    RETURN v_out;
END
$$;

COMMENT ON FUNCTION ledger_private.normalize_legs(jsonb) IS
    'Checks the shape of a legs array and returns its canonical form';
