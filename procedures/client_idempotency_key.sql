-- ledger.client_idempotency_key: the ledger idempotency key of a request of the earlier
-- API, whose keys were scoped per client: client_id:key.
--
--   SELECT * FROM ledger.post_journal(
--     idempotency_key => ledger.client_idempotency_key('shop-7', 'order-1'), legs => …);
--   → 'shop-7:order-1'
--
-- client_id        1 to api_limit('client_id_length') printable characters, no colon (a
--                  colon would let two clients' keys meet: ('a:b', 'c') and ('a', 'b:c'))
-- idempotency_key  at most what the ledger key leaves after client_id and the colon:
--                  api_limit('idempotency_key_length') − api_limit('client_id_length') − 1
--                  characters; post_journal checks the rest of the ledger key's rules
-- Raises DX019 (client_id), DX012 (idempotency_key).

CREATE OR REPLACE FUNCTION ledger.client_idempotency_key(
    client_id text,
    idempotency_key text
) RETURNS text
LANGUAGE plpgsql IMMUTABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_key_length integer := ledger_private.api_limit('idempotency_key_length')
                            - ledger_private.api_limit('client_id_length') - 1;
BEGIN
    IF client_idempotency_key.client_id IS NULL
       OR char_length(client_idempotency_key.client_id)
              NOT BETWEEN 1 AND ledger_private.api_limit('client_id_length')
       OR client_idempotency_key.client_id ~ '[[:cntrl:]:]' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX019', COLUMN = 'client_id',
            MESSAGE = format('client_id: 1 to %s printable characters, no colon',
                             ledger_private.api_limit('client_id_length')),
            DETAIL = format('got %s', coalesce(quote_literal(client_idempotency_key.client_id), 'NULL'));
    END IF;
    IF client_idempotency_key.idempotency_key IS NULL
       OR char_length(client_idempotency_key.idempotency_key) > v_key_length THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX012', COLUMN = 'idempotency_key',
            MESSAGE = format('idempotency_key: at most %s characters with client_id', v_key_length),
            DETAIL = format('got %s', CASE WHEN client_idempotency_key.idempotency_key IS NULL THEN 'NULL'
                                           ELSE char_length(client_idempotency_key.idempotency_key)
                                                || ' characters' END);
    END IF;
    RETURN client_idempotency_key.client_id || ':' || client_idempotency_key.idempotency_key;
END
$$;

COMMENT ON FUNCTION ledger.client_idempotency_key(text, text) IS
    'The ledger idempotency key client_id:key of a request of the earlier, per-client API';
GRANT EXECUTE ON FUNCTION ledger.client_idempotency_key(text, text) TO doublex_api;
