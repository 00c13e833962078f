-- ledger.set_account_status: freeze, unfreeze or close an account.
--
--   SELECT * FROM ledger.set_account_status('1001-CASH', 'frozen');
--
-- status   active | frozen | closed. Only active accounts post. Closing is final and needs
--          a zero balance (move the money out first).
-- Raises DX019 (malformed tenant), DX016, DX018 (unknown status), DX020 (no such account), DX023 (the account is
-- closed, or its balance is not zero).
-- Capability operate, on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.set_account_status(
    code text,
    status text,
    tenant text DEFAULT NULL
) RETURNS ledger.account_info
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal;
    v_account ledger_private.account;
    v_totals record;
BEGIN
    v_who := ledger_private.authorize_write('operate', set_account_status.tenant);
    set_account_status.tenant := v_who.tenant;
    IF set_account_status.status IS NULL
       OR set_account_status.status NOT IN ('active', 'frozen', 'closed') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX018', COLUMN = 'status',
            MESSAGE = format('status: must be active, frozen or closed, got %s',
                             coalesce(set_account_status.status, 'NULL'));
    END IF;
    v_account := ledger_private.find_account(set_account_status.tenant, set_account_status.code);
    IF v_account.status = 'closed' AND set_account_status.status <> 'closed' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX023', COLUMN = 'status',
            MESSAGE = format('status: account %s is closed; closing is final', v_account.code);
    END IF;
    IF set_account_status.status = 'closed' THEN
        SELECT t.debits, t.credits INTO v_totals FROM ledger_private.account_totals(v_account.account_id) AS t;
        IF v_totals.debits <> v_totals.credits THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX023', COLUMN = 'status',
                MESSAGE = format('status: account %s still holds a balance of %s and cannot be closed',
                                 v_account.code, abs(v_totals.debits - v_totals.credits)),
                HINT = 'Post a journal that brings the balance to zero first.';
        END IF;
    END IF;
    PERFORM ledger_private.append_audit(v_who, 'set_account_status', v_account.code,
                                        jsonb_build_object('from', v_account.status,
                                                           'to', set_account_status.status));
    UPDATE ledger_private.account AS a
       SET status = set_account_status.status, changed_by = v_who.actor
     WHERE a.account_id = v_account.account_id
    RETURNING a.* INTO v_account;
    RETURN ledger_private.to_account_info(v_account);
END
$$;

COMMENT ON FUNCTION ledger.set_account_status(text, text, text) IS
    'Sets an account active, frozen or closed (final, needs a zero balance)';
GRANT EXECUTE ON FUNCTION ledger.set_account_status(text, text, text) TO doublex_api;
