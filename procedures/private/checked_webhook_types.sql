-- ledger_private.checked_webhook_types(types) → text[]: the event types a webhook receives,
-- each once, in ledger_private.event_types() order; NULL: every type. Raises DX059 (column
-- types) for an empty list, a NULL element or a type the ledger does not write.

CREATE OR REPLACE FUNCTION ledger_private.checked_webhook_types(p_types text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    IF p_types IS NULL THEN
        RETURN NULL;
    END IF;
    IF cardinality(p_types) = 0 OR array_position(p_types, NULL) IS NOT NULL
       OR NOT p_types <@ ledger_private.event_types() THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX059', COLUMN = 'types',
            MESSAGE = format('types: must name one or more of %s, got %s',
                             array_to_string(ledger_private.event_types(), ', '),
                             array_to_string(p_types, ', ', 'NULL')),
            HINT = 'Leave types out (null) to receive every type.';
    END IF;
    RETURN ARRAY(SELECT t FROM unnest(ledger_private.event_types()) WITH ORDINALITY AS k (t, n)
                  WHERE t = ANY (p_types) ORDER BY n);
END
$$;

COMMENT ON FUNCTION ledger_private.checked_webhook_types(text[]) IS
    'The event types of a webhook, checked and in order (NULL: every type); DX059 otherwise';
