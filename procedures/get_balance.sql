-- ledger.get_balance: an account's balance on its normal side, with debit and credit totals.
--
--   SELECT * FROM ledger.get_balance('1001-CASH');                     -- every posting
--   SELECT * FROM ledger.get_balance('1001-CASH', as_of => '2026-11-20'); -- effective ≤ date
--
-- Cash debited 10 shows +10; revenue credited 10 shows +10.
-- as_of NULL   all legs: the account's checkpoint plus the legs above the watermark, so the
--              cost does not grow with the account's history
-- as_of date   the legs with effective_date ≤ as_of. For a closed date (on or before the
--              tenant's latest close) it is read from the account's snapshot
--              (snapshot_source 'snapshot'): every close writes a row for every account, so
--              its latest row at or before as_of is the one of the latest close on or before
--              as_of (a date closed through without activity has the previous close's
--              balances); an account without one was opened after that close and had no
--              legs by then: zero. For an open date it is computed live ('live'): the
--              snapshot at the latest close plus the legs dated after it up to as_of. Both
--              equal the sum of the legs.
-- The pending side, for the balance now (as_of NULL):
--   posted           = balance (the posted legs; `balance` stays for its earlier callers)
--   pending_debits, pending_credits  the legs of the account's pending holds (not captured,
--                    voided or past expires_at: ledger_private.pending_totals)
--   available        posted minus the pending legs that would reduce it (available_of);
--                    what min_balance applies to
--   min_balance, max_balance  the limits in force (min_balance 0 for allow_negative = false)
-- With an as_of date these five are NULL and posted is the balance as of that date: a hold
-- has no effective date, only a life in time (created, then resolved or expired), so the
-- holds of today beside a past day's balance would make an available balance that never
-- existed, and nothing records which holds were pending at a past date's end.
-- Raises DX019 (malformed tenant), DX020 when there is no such account in the tenant.
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.get_balance(
    account text,
    as_of date DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.balance
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_account ledger_private.account;
    v_exponent smallint;
    v_debits numeric;
    v_credits numeric;
    v_closed_through date;
    v_source text := 'live';
    v_pending_debits numeric;  -- NULL with as_of
    v_pending_credits numeric;
    v_posted numeric;
BEGIN
    get_balance.tenant := (ledger_private.authorize('read', get_balance.tenant)).tenant;
    v_account := ledger_private.find_account(get_balance.tenant, get_balance.account);
    SELECT c.exponent INTO v_exponent FROM ledger_private.currency AS c WHERE c.code = v_account.ccy;

    IF get_balance.as_of IS NULL THEN
        -- One statement: the posted totals and the pending hold legs, in one snapshot.
        SELECT t.debits, t.credits, round(p.debits, v_exponent), round(p.credits, v_exponent)
          INTO v_debits, v_credits, v_pending_debits, v_pending_credits
          FROM ledger_private.account_totals(v_account.account_id) AS t
         CROSS JOIN ledger_private.pending_totals(v_account.account_id) AS p;
    ELSE
        SELECT s.closed_through INTO v_closed_through
          FROM ledger_private.ledger_settings AS s WHERE s.tenant = get_balance.tenant;
        SELECT s.total_debits, s.total_credits INTO v_debits, v_credits
          FROM ledger_private.account_snapshot AS s
         WHERE s.account_id = v_account.account_id
           AND s.business_date <= least(get_balance.as_of, v_closed_through)
         ORDER BY s.business_date DESC
         LIMIT 1;
        v_debits := coalesce(v_debits, 0);
        v_credits := coalesce(v_credits, 0);
        IF get_balance.as_of <= v_closed_through THEN
            v_source := 'snapshot';
        ELSE
            -- Every leg on or before the closed date is in the snapshot (the backdating
            -- guard): add the ones after it.
            SELECT v_debits + coalesce(sum(l.amount) FILTER (WHERE l.side = 'debit'), 0),
                   v_credits + coalesce(sum(l.amount) FILTER (WHERE l.side = 'credit'), 0)
              INTO v_debits, v_credits
              FROM ledger_private.leg AS l
             WHERE l.account_id = v_account.account_id
               AND l.effective_date > coalesce(v_closed_through, '-infinity')
               AND l.effective_date <= get_balance.as_of;
        END IF;
    END IF;
    v_debits := round(v_debits, v_exponent);
    v_credits := round(v_credits, v_exponent);
    v_posted := ledger_private.normal_balance(v_account.normal_side, v_debits, v_credits);

    RETURN ROW(
        v_account.code,
        v_account.ccy,
        v_posted,
        v_debits,
        v_credits,
        get_balance.as_of,
        v_source,
        v_posted,
        v_pending_debits,
        v_pending_credits,
        ledger_private.available_of(v_account.normal_side, v_posted, v_pending_debits,
                                    v_pending_credits),
        CASE WHEN get_balance.as_of IS NULL
             THEN ledger_private.account_floor(v_account.allow_negative, v_account.min_balance) END,
        CASE WHEN get_balance.as_of IS NULL THEN v_account.max_balance END
    )::ledger.balance;
END
$$;

COMMENT ON FUNCTION ledger.get_balance(text, date, text) IS
    'Balance on the normal side with debit and credit totals, now or as of a date; now: also pending hold legs, available balance and limits';
GRANT EXECUTE ON FUNCTION ledger.get_balance(text, date, text) TO doublex_api;
