-- ledger_private.close_business_date(tenant, business_date, previous_seal, closed_at, actor)
-- → seal:
-- closes one date, set-based, for ledger.eod_close() (which fences the date first):
--   1. one snapshot row per account of the tenant (dense: every account that exists at the
--      close, moved or not): opening balance (its row at the previous close), the day's
--      debits and credits (0 when it did not move), closing balance, cumulative totals;
--      and its pending hold legs when the close is taken (pending_debits, pending_credits:
--      the open, live hold legs of ledger_private.open_hold_leg, as pending_totals counts
--      them; 0 when none). Holds are not dated and survive the close unchanged; the
--      balances stay posted balances, the pending totals are recorded beside them;
--   2. the trial balance per currency: the previous close's totals plus the day's; every
--      currency must net to zero (DX028, nothing is written);
--   3. the close record with the seal chained to the previous close's.
-- The day's legs are found through its journals (journal_by_date, then the leg key): no
-- index on legs by date, so postings pay for none.
-- Progress: when ledger.eod_close() set doublex.eod_progress (steps done before this date,
-- total steps), a NOTICE after each of the three phases (ledger_private.eod_progress_notice).

CREATE OR REPLACE FUNCTION ledger_private.close_business_date(
    p_tenant text, p_date date, p_previous_seal bytea, p_closed_at timestamptz, p_actor text
) RETURNS bytea
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_moved record;
    v_accounts bigint;
    v_journals bigint;
    v_unbalanced text;
    v_seal bytea;
    v_progress jsonb := nullif(current_setting('doublex.eod_progress', true), '')::jsonb;
BEGIN
    -- 1. Every account's day (zero when it did not move) and its totals before it: its row
    --    of the previous close (read as its latest earlier snapshot: an account created
    --    since has none and no legs before this date either, so it opens at zero). Read in
    --    a statement of its own: reading the snapshots while inserting into them would
    --    rescan the rows being added for every account.
    WITH day_legs AS MATERIALIZED (
        SELECT l.account_id, l.side, l.amount
          FROM ledger_private.journal AS j
          JOIN ledger_private.leg AS l ON l.journal_id = j.journal_id
         WHERE j.tenant = p_tenant AND j.effective_date = p_date
    ), moved AS (
        SELECT d.account_id,
               coalesce(sum(d.amount) FILTER (WHERE d.side = 'debit'), 0) AS debits,
               coalesce(sum(d.amount) FILTER (WHERE d.side = 'credit'), 0) AS credits,
               count(*) AS legs
          FROM day_legs AS d
         GROUP BY d.account_id
    )
    SELECT array_agg(a.account_id ORDER BY a.account_id) AS account_ids,
           array_agg(a.ccy ORDER BY a.account_id) AS ccys,
           array_agg(a.normal_side ORDER BY a.account_id) AS normal_sides,
           array_agg(coalesce(m.debits, 0) ORDER BY a.account_id) AS debits,
           array_agg(coalesce(m.credits, 0) ORDER BY a.account_id) AS credits,
           array_agg(coalesce(p.total_debits, 0) ORDER BY a.account_id) AS opening_debits,
           array_agg(coalesce(p.total_credits, 0) ORDER BY a.account_id) AS opening_credits,
           array_agg(coalesce(h.debits, 0) ORDER BY a.account_id) AS pending_debits,
           array_agg(coalesce(h.credits, 0) ORDER BY a.account_id) AS pending_credits,
           coalesce(sum(m.legs), 0) AS legs
      INTO v_moved
      FROM ledger_private.account AS a
      LEFT JOIN moved AS m ON m.account_id = a.account_id
      LEFT JOIN LATERAL (
            SELECT s.total_debits, s.total_credits
              FROM ledger_private.account_snapshot AS s
             WHERE s.account_id = a.account_id AND s.business_date < p_date
             ORDER BY s.business_date DESC
             LIMIT 1) AS p ON true
      -- The tenant's open hold legs (few: open holds only), summed per account.
      LEFT JOIN (SELECT o.account_id,
                        sum(o.amount) FILTER (WHERE o.side = 'debit') AS debits,
                        sum(o.amount) FILTER (WHERE o.side = 'credit') AS credits
                   FROM ledger_private.open_hold_leg AS o
                  WHERE o.tenant = p_tenant AND ledger_private.hold_is_live(o.expires_at)
                  GROUP BY o.account_id) AS h ON h.account_id = a.account_id
     WHERE a.tenant = p_tenant;
    PERFORM ledger_private.eod_progress_notice(v_progress, p_date, 'read');

    -- 2. The snapshot rows and the trial balance: the previous close's totals per currency
    --    plus the day's movement (an account's legs are in its currency).
    WITH totals AS (
        SELECT t.*
          FROM unnest(v_moved.account_ids, v_moved.ccys, v_moved.normal_sides, v_moved.debits,
                      v_moved.credits, v_moved.opening_debits, v_moved.opening_credits,
                      v_moved.pending_debits, v_moved.pending_credits)
               AS t (account_id, ccy, normal_side, debits, credits, opening_debits, opening_credits,
                     pending_debits, pending_credits)
    ), written AS (
        INSERT INTO ledger_private.account_snapshot AS s
               (account_id, business_date, tenant, opening_balance, debits, credits,
                closing_balance, total_debits, total_credits, pending_debits, pending_credits)
        SELECT t.account_id, p_date, p_tenant,
               ledger_private.normal_balance(t.normal_side, t.opening_debits, t.opening_credits),
               t.debits, t.credits,
               ledger_private.normal_balance(t.normal_side, t.opening_debits + t.debits,
                                             t.opening_credits + t.credits),
               t.opening_debits + t.debits, t.opening_credits + t.credits,
               t.pending_debits, t.pending_credits
          FROM totals AS t
        RETURNING 1
    ), day_ccy AS (
        -- Currencies that moved (an idle currency's accounts have no trial balance row).
        SELECT t.ccy, sum(t.debits) AS debits, sum(t.credits) AS credits
          FROM totals AS t
         WHERE t.debits <> 0 OR t.credits <> 0
         GROUP BY t.ccy
    ), balanced AS (
        INSERT INTO ledger_private.trial_balance AS t
               (tenant, business_date, ccy, debits, credits, total_debits, total_credits)
        SELECT p_tenant, p_date, coalesce(d.ccy, p.ccy),
               coalesce(d.debits, 0), coalesce(d.credits, 0),
               coalesce(p.total_debits, 0) + coalesce(d.debits, 0),
               coalesce(p.total_credits, 0) + coalesce(d.credits, 0)
          FROM day_ccy AS d
          FULL JOIN (SELECT t.ccy, t.total_debits, t.total_credits
                       FROM ledger_private.trial_balance AS t
                      WHERE t.tenant = p_tenant
                        AND t.business_date = (SELECT max(c.business_date)
                                                 FROM ledger_private.day_close AS c
                                                WHERE c.tenant = p_tenant
                                                  AND c.business_date < p_date)) AS p
                 ON p.ccy = d.ccy
        RETURNING 1
    )
    -- (`balanced` runs whether read or not, like every data-modifying WITH.)
    SELECT count(*) INTO v_accounts FROM written;

    SELECT string_agg(format('%s (debits %s, credits %s)', t.ccy, t.total_debits, t.total_credits),
                      ', ' ORDER BY t.ccy)
      INTO v_unbalanced
      FROM ledger_private.trial_balance AS t
     WHERE t.tenant = p_tenant AND t.business_date = p_date AND t.total_debits <> t.total_credits;
    IF v_unbalanced IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX028', COLUMN = 'business_date',
            MESSAGE = format('business_date: the trial balance of %s does not net to zero in %s',
                             p_date, v_unbalanced),
            DETAIL = 'Every currency''s debits must equal its credits; the close wrote nothing.',
            HINT = 'Find the unbalanced journals (legs written around the invariant triggers).';
    END IF;
    PERFORM ledger_private.eod_progress_notice(v_progress, p_date, 'snapshots');

    SELECT count(*) INTO v_journals
      FROM ledger_private.journal AS j WHERE j.tenant = p_tenant AND j.effective_date = p_date;
    v_seal := ledger_private.day_seal(p_tenant, p_date, p_previous_seal);
    INSERT INTO ledger_private.day_close AS c
           (tenant, business_date, closed_at, journals, legs, accounts, seal, previous_seal, closed_by)
    VALUES (p_tenant, p_date, p_closed_at, v_journals, v_moved.legs, v_accounts, v_seal, p_previous_seal,
            p_actor);
    PERFORM ledger_private.eod_progress_notice(v_progress, p_date, 'sealed');
    RETURN v_seal;
END
$$;

COMMENT ON FUNCTION ledger_private.close_business_date(text, date, bytea, timestamptz, text) IS
    'Writes one business date''s snapshots, trial balance and sealed close record';
