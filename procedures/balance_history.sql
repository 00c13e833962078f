-- ledger.balance_history: an account's day by day balances over closed business dates.
--
--   SELECT * FROM ledger.balance_history('1001-CASH', '2026-11-01', '2026-11-30');
--   → account, ccy, business_date, opening_balance, debits, credits, closing_balance
--
-- One row per closed date in [from_date, to_date] (NULL: open bound), in date order, read
-- from the account's snapshot of that date: every close writes one for every account, moved
-- or not (no debits or credits, opening = closing). A closed date before the account was
-- opened has none and gives zeros. Balances are on the account's normal side. Open dates
-- have no row: ledger.get_balance(as_of) covers them; nor do dates closed through without
-- any activity, which have no close of their own (their balances are the previous row's
-- closing ones).
-- Raises DX019 (tenant), DX020 (unknown account), DX029 (from_date after to_date).
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.balance_history(
    account text,
    from_date date DEFAULT NULL,
    to_date date DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.balance_history_entry
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_account ledger_private.account := ledger_private.find_account(
        (ledger_private.authorize('read', balance_history.tenant)).tenant, balance_history.account);
BEGIN
    PERFORM ledger_private.check_period(balance_history.from_date, balance_history.to_date, NULL);
    RETURN QUERY
        SELECT v_account.code, v_account.ccy, c.business_date,
               round(coalesce(s.opening_balance, 0), x.exponent),
               round(coalesce(s.debits, 0), x.exponent),
               round(coalesce(s.credits, 0), x.exponent),
               round(coalesce(s.closing_balance, 0), x.exponent)
          FROM ledger_private.day_close AS c
          JOIN ledger_private.currency AS x ON x.code = v_account.ccy
          LEFT JOIN ledger_private.account_snapshot AS s
                 ON s.account_id = v_account.account_id AND s.business_date = c.business_date
         WHERE c.tenant = v_account.tenant
           AND c.business_date >= coalesce(balance_history.from_date, '-infinity')
           AND c.business_date <= coalesce(balance_history.to_date, 'infinity')
         ORDER BY c.business_date;
END
$$;

COMMENT ON FUNCTION ledger.balance_history(text, date, date, text) IS
    'Opening, debits, credits and closing of an account per closed business date';
GRANT EXECUTE ON FUNCTION ledger.balance_history(text, date, date, text) TO doublex_api;
