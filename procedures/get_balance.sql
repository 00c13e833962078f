-- ledger.get_balance: an account's balance on its normal side, with debit and credit totals.
--
--   SELECT * FROM ledger.get_balance('1001-CASH');                     -- every posting
--   SELECT * FROM ledger.get_balance('1001-CASH', as_of => '2026-11-20'); -- effective ≤ date
--
-- Cash debited 10 shows +10; revenue credited 10 shows +10.
-- as_of NULL   all legs: the account's checkpoint plus the legs above the watermark, so the
--              cost does not grow with the account's history
-- as_of date   the legs with effective_date ≤ as_of, computed live (snapshot_source 'live')
-- Raises DX019 (malformed tenant), DX020 when there is no such account in the tenant.

CREATE OR REPLACE FUNCTION ledger.get_balance(
    account text,
    as_of date DEFAULT NULL,
    tenant text DEFAULT 'default'
) RETURNS ledger.balance
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_account ledger_private.account;
    v_exponent smallint;
    v_debits numeric;
    v_credits numeric;
BEGIN
    PERFORM ledger_private.check_tenant(get_balance.tenant);
    v_account := ledger_private.find_account(get_balance.tenant, get_balance.account);
    SELECT c.exponent INTO v_exponent FROM ledger_private.currency AS c WHERE c.code = v_account.ccy;

    IF get_balance.as_of IS NULL THEN
        SELECT t.debits, t.credits INTO v_debits, v_credits
          FROM ledger_private.account_totals(v_account.account_id) AS t;
    ELSE
        SELECT coalesce(sum(l.amount) FILTER (WHERE l.side = 'debit'), 0),
               coalesce(sum(l.amount) FILTER (WHERE l.side = 'credit'), 0)
          INTO v_debits, v_credits
          FROM ledger_private.leg AS l
         WHERE l.account_id = v_account.account_id AND l.effective_date <= get_balance.as_of;
    END IF;
    v_debits := round(v_debits, v_exponent);
    v_credits := round(v_credits, v_exponent);

    RETURN ROW(
        v_account.code,
        v_account.ccy,
        CASE v_account.normal_side WHEN 'debit' THEN v_debits - v_credits ELSE v_credits - v_debits END,
        v_debits,
        v_credits,
        get_balance.as_of,
        'live'
    )::ledger.balance;
END
$$;

COMMENT ON FUNCTION ledger.get_balance(text, date, text) IS
    'Balance on the normal side with debit and credit totals, now or as of a date';
GRANT EXECUTE ON FUNCTION ledger.get_balance(text, date, text) TO doublex_app;
