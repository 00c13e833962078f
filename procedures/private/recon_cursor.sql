-- ledger_private.recon_cursor(cursor) → the sort key of ledger.recon_items after which a
-- page starts: (account code, kind rank, line number, line id, journal id, leg number), with
-- 0 (and the nil UUID) where an item has no line or no leg. NULL (the first page) is a key
-- before every item. Raises DX019 for text that is not a cursor recon_items returned.

CREATE OR REPLACE FUNCTION ledger_private.recon_cursor(
    p_cursor text,
    OUT code text, OUT kind_rank integer, OUT line_no integer, OUT line_id bigint,
    OUT journal_id uuid, OUT leg_no smallint
)
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_parts text[] := string_to_array(p_cursor, '|');
BEGIN
    IF p_cursor IS NULL THEN
        SELECT ''::text, 0, 0, 0::bigint, '00000000-0000-0000-0000-000000000000'::uuid, 0::smallint
          INTO code, kind_rank, line_no, line_id, journal_id, leg_no;
        RETURN;
    END IF;
    BEGIN
        IF cardinality(v_parts) <> 6 OR v_parts[1] = '' THEN
            RAISE invalid_text_representation;
        END IF;
        SELECT v_parts[1], v_parts[2]::integer, v_parts[3]::integer, v_parts[4]::bigint,
               v_parts[5]::uuid, v_parts[6]::smallint
          INTO code, kind_rank, line_no, line_id, journal_id, leg_no;
    EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX019', COLUMN = 'cursor',
            MESSAGE = format('cursor: %s is not a cursor returned by recon_items',
                             quote_literal(left(p_cursor, 100)));
    END;
END
$$;

COMMENT ON FUNCTION ledger_private.recon_cursor(text) IS
    'The sort key a recon_items cursor names (DX019 for anything else)';
