-- ledger.list_holds: a page of holds, oldest first, optionally of one account and status.
--
--   SELECT * FROM ledger.list_holds(account => '2001-CARDHOLDER', status => 'pending');
--   SELECT * FROM ledger.list_holds(after_id => '<last hold_id of the page>');
--
-- account     an account code: the holds with a leg on it (DX020 when there is none)
-- status      pending | captured | voided | expired (DX055 otherwise), as ledger.get_hold reads it
-- after_id    the last hold_id of the previous page (holds are time-ordered)
-- page_size   1 to api_limit('page_size') (DX019)
-- Capability read (or audit), on the caller's own tenant (DX040–DX043, authorize first).

CREATE OR REPLACE FUNCTION ledger.list_holds(
    account text DEFAULT NULL,
    status text DEFAULT NULL,
    after_id uuid DEFAULT NULL,
    page_size integer DEFAULT 100,
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.hold_info
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant text := (ledger_private.authorize('read', list_holds.tenant)).tenant;
    v_account_id bigint;
BEGIN
    PERFORM ledger_private.check_page_size(list_holds.page_size);
    IF list_holds.status IS NOT NULL
       AND list_holds.status NOT IN ('pending', 'captured', 'voided', 'expired') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX055', COLUMN = 'status',
            MESSAGE = format('status: must be pending, captured, voided or expired, got %s',
                             list_holds.status);
    END IF;
    IF list_holds.account IS NOT NULL THEN
        v_account_id := (ledger_private.find_account(v_tenant, list_holds.account)).account_id;
    END IF;
    RETURN QUERY
        SELECT i.*
          FROM ledger_private.hold AS h
         CROSS JOIN LATERAL ledger_private.to_hold_info(h.hold_id) AS i
         WHERE h.tenant = v_tenant
           AND (list_holds.after_id IS NULL OR h.hold_id > list_holds.after_id)
           AND (v_account_id IS NULL
                OR EXISTS (SELECT FROM ledger_private.hold_leg AS hl
                            WHERE hl.hold_id = h.hold_id AND hl.account_id = v_account_id))
           AND (list_holds.status IS NULL OR i.status = list_holds.status)
         ORDER BY h.hold_id
         LIMIT list_holds.page_size;
END
$$;

COMMENT ON FUNCTION ledger.list_holds(text, text, uuid, integer, text) IS
    'A page of holds, oldest first, of one account and status when given';
GRANT EXECUTE ON FUNCTION ledger.list_holds(text, text, uuid, integer, text) TO doublex_api;
