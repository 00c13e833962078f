-- ledger_private.latest_recon_runs(tenant, business_date, account) → the current (latest)
-- reconciliation run of each account reconciled on that date, or of the one account named.
-- Raises DX020 for an unknown account, DX038 when there is no run to report.

CREATE OR REPLACE FUNCTION ledger_private.latest_recon_runs(
    p_tenant text, p_business_date date, p_account text
) RETURNS SETOF ledger_private.recon_run
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_account_id bigint;
    v_found boolean := false;
    v_run ledger_private.recon_run;
BEGIN
    PERFORM ledger_private.check_tenant(p_tenant);
    IF p_business_date IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX039', COLUMN = 'business_date',
            MESSAGE = 'business_date: required';
    END IF;
    IF p_account IS NOT NULL THEN
        v_account_id := (ledger_private.find_account(p_tenant, p_account)).account_id;
    END IF;
    FOR v_run IN
        SELECT DISTINCT ON (r.account_id) r.*
          FROM ledger_private.recon_run AS r
         WHERE r.tenant = p_tenant AND r.business_date = p_business_date
           AND (v_account_id IS NULL OR r.account_id = v_account_id)
         ORDER BY r.account_id, r.run_id DESC
    LOOP
        v_found := true;
        RETURN NEXT v_run;
    END LOOP;
    IF NOT v_found THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX038', COLUMN = CASE WHEN p_account IS NULL THEN 'business_date' ELSE 'account' END,
            MESSAGE = CASE WHEN p_account IS NULL
                           THEN format('business_date: no account was reconciled on %s', p_business_date)
                           ELSE format('account: %s was not reconciled on %s', p_account, p_business_date)
                      END,
            HINT = 'Run ledger.recon_run(account, business_date) (doublex recon run) first.';
    END IF;
    RETURN;
END
$$;

COMMENT ON FUNCTION ledger_private.latest_recon_runs(text, date, text) IS
    'The current reconciliation run per account for a date; DX038 when there is none';
