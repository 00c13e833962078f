-- ledger_private.fx_clearing_account(tenant, ccy, actor) → the tenant's FX clearing account in ccy,
-- FX-CLEARING-<ccy>, opened on first use: type equity (credit-normal, so that its balance
-- reads as the ledger's open position in that currency, positive = long) and allowed to go
-- negative (a position is short as often as long). An account of that code that is not
-- shaped so (another currency, type or balance policy) is refused with DX034 rather than
-- used. Whether it may post (active) is the leg trigger's business, as for any account.
-- Opened by the settlement's actor (created_by, changed_by).
--
-- Clearing accounts are hot: every settlement in the currency posts to one. Once opened,
-- this is one index lookup of a row nobody writes. Two settlements opening the same account
-- at once: the second waits on the first's insert and then, at SERIALIZABLE, fails with
-- 40001 and is retried, finding the account. Callers open a settlement's two accounts in
-- currency order so that two such waits cannot form a deadlock.

CREATE OR REPLACE FUNCTION ledger_private.fx_clearing_account(p_tenant text, p_ccy text, p_actor text)
RETURNS ledger_private.account
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_code text := 'FX-CLEARING-' || p_ccy;
    v_account ledger_private.account;
BEGIN
    SELECT a.* INTO v_account
      FROM ledger_private.account AS a
     WHERE a.tenant = p_tenant AND a.code = v_code;
    IF NOT FOUND THEN
        INSERT INTO ledger_private.account AS a
               (tenant, code, name, ccy, type, allow_negative, metadata, created_by, changed_by)
        VALUES (p_tenant, v_code, 'FX clearing ' || p_ccy, p_ccy, 'equity', true,
                jsonb_build_object('fx_clearing', p_ccy), p_actor, p_actor)
        ON CONFLICT ON CONSTRAINT account_code_per_tenant DO NOTHING
        RETURNING a.* INTO v_account;
    END IF;
    IF v_account.ccy IS DISTINCT FROM p_ccy OR v_account.type IS DISTINCT FROM 'equity'
       OR NOT v_account.allow_negative THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX034', COLUMN = 'clearing_account',
            MESSAGE = format('clearing_account: %s in tenant %s is not an FX clearing account for %s',
                             v_code, p_tenant, p_ccy),
            DETAIL = format('It holds %s, type %s, allow_negative %s; a clearing account is %s, equity, allow_negative true.',
                            v_account.ccy, v_account.type, v_account.allow_negative, p_ccy),
            HINT = 'The ledger opens FX-CLEARING-<ccy> itself on first use; do not create accounts with that code.';
    END IF;
    RETURN v_account;
END
$$;

COMMENT ON FUNCTION ledger_private.fx_clearing_account(text, text, text) IS
    'The tenant''s FX-CLEARING-<ccy> account, opened on first use; DX034 when misshapen';
