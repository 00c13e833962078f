-- ledger.set_account_limits: set (or clear, NULL) an account's minimum and maximum balance.
--
--   SELECT * FROM ledger.set_account_limits('2001-CARDHOLDER', min_balance => -500);  -- credit line
--   SELECT * FROM ledger.set_account_limits('4000-ESCROW', min_balance => 0, max_balance => 10000);
--
-- Balances on the account's normal side. The database enforces them for every writer
-- (postings, batches, holds, direct INSERTs; check_account_limits): the available balance
-- (posted minus pending holds that reduce it) never ends a transaction below min_balance
-- (DX010), and posted plus pending increases never above max_balance (DX054). NULL is no
-- limit; min_balance NULL on an account created with allow_negative = false keeps its
-- floor of 0 (allow_negative = false means min_balance = 0). A limit applies to what is
-- written after it is set. min_balance above max_balance → DX055; no account → DX020.
-- Recorded in the audit log. Capability admin (DX040–DX043, authorize first).

CREATE OR REPLACE FUNCTION ledger.set_account_limits(
    code text,
    min_balance numeric DEFAULT NULL,
    max_balance numeric DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.available_balance
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize_write('admin', set_account_limits.tenant);
    v_account ledger_private.account;
BEGIN
    IF set_account_limits.min_balance > set_account_limits.max_balance
       OR set_account_limits.min_balance = 'NaN' OR set_account_limits.max_balance = 'NaN' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX055', COLUMN = 'min_balance',
            MESSAGE = format('min_balance: %s must be a number at most max_balance %s',
                             set_account_limits.min_balance, set_account_limits.max_balance);
    END IF;
    v_account := ledger_private.find_account(v_who.tenant, set_account_limits.code);
    PERFORM ledger_private.append_audit(v_who, 'set_account_limits', v_account.code,
                                        jsonb_build_object(
                                            'from', jsonb_build_object('min_balance', v_account.min_balance,
                                                                       'max_balance', v_account.max_balance),
                                            'to', jsonb_build_object('min_balance', set_account_limits.min_balance,
                                                                     'max_balance', set_account_limits.max_balance)));
    UPDATE ledger_private.account AS a
       SET min_balance = set_account_limits.min_balance, max_balance = set_account_limits.max_balance,
           changed_by = v_who.actor
     WHERE a.account_id = v_account.account_id;
    RETURN ledger_private.to_available_balance(v_account.account_id);
END
$$;

COMMENT ON FUNCTION ledger.set_account_limits(text, numeric, numeric, text) IS
    'Sets an account''s minimum and maximum balance (NULL: none), enforced on its available balance';
GRANT EXECUTE ON FUNCTION ledger.set_account_limits(text, numeric, numeric, text) TO doublex_api;
