-- ledger_private.uuid_v7(): a time-ordered UUID (RFC 9562 version 7) for journal ids.
-- The first 48 bits are Unix milliseconds, so ids sort by creation time and list_journals
-- pages stay stable; the rest is random.

CREATE OR REPLACE FUNCTION ledger_private.uuid_v7() RETURNS uuid
LANGUAGE sql VOLATILE PARALLEL SAFE
AS $$
    SELECT encode(
        set_bit(
            set_bit(
                overlay(uuid_send(gen_random_uuid())
                        PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint)
                                          FROM 3)
                        FROM 1 FOR 6),
                52, 1),
            53, 1),
        'hex')::uuid
$$;

COMMENT ON FUNCTION ledger_private.uuid_v7() IS 'Time-ordered UUID (version 7)';
