-- Roll back 0007: the end-of-day functions, the backdating guard, the close tables and
-- their types. The default effective date goes back to the calendar date in UTC.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DROP FUNCTION IF EXISTS ledger.eod_close(date, text);
DROP FUNCTION IF EXISTS ledger.eod_status(text);
DROP FUNCTION IF EXISTS ledger.verify_seals(text);
DROP FUNCTION IF EXISTS ledger.balance_history(text, date, date, text);
DROP FUNCTION IF EXISTS ledger.set_ledger_settings(text, time, text);
DROP FUNCTION IF EXISTS ledger.business_date(timestamptz, text);
DROP FUNCTION IF EXISTS ledger_private.close_business_date(text, date, bytea, timestamptz);
DROP FUNCTION IF EXISTS ledger_private.day_seal(text, date, bytea);
DROP FUNCTION IF EXISTS ledger_private.to_day_close(text, date);
DROP FUNCTION IF EXISTS ledger_private.business_date_at(timestamptz, text, time);
DROP FUNCTION IF EXISTS ledger_private.check_business_date(date, text);

DROP TRIGGER IF EXISTS journal_date_guard ON ledger_private.journal;
DROP FUNCTION IF EXISTS ledger_private.journal_date_guard();
DROP FUNCTION IF EXISTS ledger_private.close_fence_key(text, date, date);
DROP FUNCTION IF EXISTS ledger_private.close_missed();
DROP SEQUENCE IF EXISTS ledger_private.close_publication_prior;
DROP SEQUENCE IF EXISTS ledger_private.close_publication;

DROP TYPE IF EXISTS ledger.seal_problem;
DROP TYPE IF EXISTS ledger.balance_history_entry;
DROP TYPE IF EXISTS ledger.day_close;
DROP TYPE IF EXISTS ledger.eod_status;

DROP TABLE IF EXISTS ledger_private.trial_balance;
DROP TABLE IF EXISTS ledger_private.account_snapshot;
DROP TABLE IF EXISTS ledger_private.day_close;

-- procedures/ is not re-applied after a rollback: put back the helpers that read the
-- settings table before it goes.
CREATE OR REPLACE FUNCTION ledger_private.default_effective_date(p_tenant text) RETURNS date
LANGUAGE sql STABLE
AS $$
    SELECT (now() AT TIME ZONE 'UTC')::date
$$;
ALTER FUNCTION ledger_private.default_effective_date(text) OWNER TO doublex_owner;

DROP TABLE IF EXISTS ledger_private.ledger_settings;

-- ledger.get_balance as it was before 0007 (no snapshots).
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
ALTER FUNCTION ledger.get_balance(text, date, text) OWNER TO doublex_owner;
