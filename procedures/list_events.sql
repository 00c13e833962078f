-- ledger.list_events: a page of the tenant's event log, in position (commit) order.
--
--   SELECT * FROM ledger.list_events();                                  -- from the start
--   SELECT * FROM ledger.list_events(after => 1041, types => ARRAY['journal.posted']);
--
-- after       the last position the reader has (0: from the start); a reader that pages
--             "after" the last position it read never misses an event: positions are given
--             in commit order by ledger.sequence_events, one batch at a time, and a
--             position is visible only once every lower one is (DX058 when NULL or negative)
-- types       only these event types (ledger_private.event_types(); DX058 for another or an
--             empty list); NULL: every type
-- page_size   1 to api_limit('page_size') (DX019)
-- Each payload as ledger_private.event_payloads gives it (stored, or built from the
-- journal's or hold's append-only rows).
-- Capability read (or audit), on the caller's own tenant (DX040–DX043, authorize first).

CREATE OR REPLACE FUNCTION ledger.list_events(
    after bigint DEFAULT 0,
    types text[] DEFAULT NULL,
    page_size integer DEFAULT 100,
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.event_info
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant text := (ledger_private.authorize('read', list_events.tenant)).tenant;
BEGIN
    PERFORM ledger_private.check_page_size(list_events.page_size);
    IF list_events.after IS NULL OR list_events.after < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX058', COLUMN = 'after',
            MESSAGE = format('after: must be a position of 0 or more, got %s',
                             coalesce(list_events.after::text, 'NULL')),
            HINT = 'Pass 0 to read from the start, or the last position you read.';
    END IF;
    IF list_events.types IS NOT NULL
       AND (cardinality(list_events.types) = 0
            OR NOT list_events.types <@ ledger_private.event_types()
            OR array_position(list_events.types, NULL) IS NOT NULL) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX058', COLUMN = 'types',
            MESSAGE = format('types: must name one or more of %s, got %s',
                             array_to_string(ledger_private.event_types(), ', '),
                             coalesce(array_to_string(list_events.types, ', ', 'NULL'), 'NULL')),
            HINT = 'Leave types out (NULL) to read every type.';
    END IF;
    RETURN QUERY
        WITH page AS MATERIALIZED (
            SELECT e.position, e.event_id, e.type, e.actor, e.occurred_at
              FROM ledger_private.event AS e
             WHERE e.tenant = v_tenant AND e.position > list_events.after
               AND (list_events.types IS NULL OR e.type = ANY (list_events.types))
             ORDER BY e.position
             LIMIT list_events.page_size
        )
        SELECT p.position, p.event_id, p.type, p.actor, p.occurred_at, c.payload
          FROM page AS p
          JOIN ledger_private.event_payloads(ARRAY(SELECT pp.position FROM page AS pp)) AS c
            ON c.event_position = p.position
         ORDER BY p.position;
END
$$;

COMMENT ON FUNCTION ledger.list_events(bigint, text[], integer, text) IS
    'A page of the tenant''s events after a position, in commit order, of some types when given';
GRANT EXECUTE ON FUNCTION ledger.list_events(bigint, text[], integer, text) TO doublex_api;
