-- ledger_private.check_batch_request(position, request, typed) → the request: one element
-- of a set-based call (ledger.reverse_journals, create_holds, capture_holds), checked before
-- its fields are cast to the arguments of the single-request function: an object (DX024),
-- and each field named in `typed` ('name:type', type uuid, date or timestamptz), when present
-- and not null, a string of that type (DX019 naming the field). Anything else is the single
-- function's to judge, as it would alone.
-- A canonical uuid is recognised without a cast; the other values are cast inside a block
-- with a handler (a subtransaction), entered only for a field that is present.

CREATE OR REPLACE FUNCTION ledger_private.check_batch_request(
    p_position integer, p_request jsonb, p_typed text[]
) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_spec text;
    v_field text;
    v_type text;
    v_value jsonb;
BEGIN
    IF jsonb_typeof(p_request) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX024', COLUMN = format('requests[%s]', p_position),
            MESSAGE = format('requests[%s]: must be an object', p_position);
    END IF;
    FOREACH v_spec IN ARRAY p_typed LOOP
        v_field := split_part(v_spec, ':', 1);
        v_type := split_part(v_spec, ':', 2);
        v_value := p_request -> v_field;
        CONTINUE WHEN v_value IS NULL OR jsonb_typeof(v_value) = 'null';
        CONTINUE WHEN v_type = 'uuid' AND jsonb_typeof(v_value) = 'string'
                      AND v_value #>> '{}' ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
        BEGIN
            IF jsonb_typeof(v_value) <> 'string' THEN
                RAISE EXCEPTION USING ERRCODE = 'invalid_text_representation';
            END IF;
            CASE v_type
                WHEN 'uuid' THEN PERFORM (v_value #>> '{}')::uuid;
                WHEN 'date' THEN PERFORM (v_value #>> '{}')::date;
                ELSE PERFORM (v_value #>> '{}')::timestamptz;
            END CASE;
        EXCEPTION WHEN invalid_text_representation OR invalid_datetime_format
                       OR datetime_field_overflow THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX019', COLUMN = v_field,
                MESSAGE = format('%s: %s is not a %s', v_field, v_value,
                                 CASE v_type WHEN 'uuid' THEN 'uuid'
                                             WHEN 'date' THEN 'date (YYYY-MM-DD)'
                                             ELSE 'timestamp with time zone' END);
        END;
    END LOOP;
    RETURN p_request;
END
$$;

COMMENT ON FUNCTION ledger_private.check_batch_request(integer, jsonb, text[]) IS
    'One request of a set-based call: DX024 unless an object, DX019 for a typed field that does not parse';
