-- ledger_private.unbalanced_currencies(legs jsonb) → text: the currencies in which a
-- well-formed legs array does not net to zero, with their nets ('EUR (debits − credits =
-- 5.00), …', the DETAIL of DX009), or NULL when it is balanced in every currency.

CREATE OR REPLACE FUNCTION ledger_private.unbalanced_currencies(p_legs jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT string_agg(format('%s (debits − credits = %s)', n.ccy, n.net), ', ' ORDER BY n.ccy)
      FROM (SELECT e.value ->> 'ccy' AS ccy,
                   sum(ledger_private.signed_amount(e.value ->> 'side',
                                                    (e.value ->> 'amount')::numeric)) AS net
              FROM jsonb_array_elements(p_legs) AS e
             GROUP BY 1) AS n
     WHERE n.net <> 0
$$;

COMMENT ON FUNCTION ledger_private.unbalanced_currencies(jsonb) IS
    'The currencies in which a legs array does not net to zero, with their nets, or NULL';
