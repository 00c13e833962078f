-- ledger_private.to_day_close(tenant, business_date): the API's view of a close record,
-- with its trial balance per currency (amounts as strings: exact in JSON).

CREATE OR REPLACE FUNCTION ledger_private.to_day_close(p_tenant text, p_date date)
RETURNS ledger.day_close
LANGUAGE sql STABLE
AS $$
    SELECT ROW(c.business_date, c.closed_at, c.journals, c.legs, c.accounts,
               encode(c.seal, 'hex'), encode(c.previous_seal, 'hex'),
               (SELECT coalesce(jsonb_agg(jsonb_build_object(
                           'ccy', t.ccy, 'debits', t.debits::text, 'credits', t.credits::text,
                           'total_debits', t.total_debits::text,
                           'total_credits', t.total_credits::text) ORDER BY t.ccy), '[]'::jsonb)
                  FROM ledger_private.trial_balance AS t
                 WHERE t.tenant = c.tenant AND t.business_date = c.business_date))::ledger.day_close
      FROM ledger_private.day_close AS c
     WHERE c.tenant = p_tenant AND c.business_date = p_date
$$;

COMMENT ON FUNCTION ledger_private.to_day_close(text, date) IS
    'The API view of a close record with its trial balance';
