-- ledger_private.posting_legs(tenant, legs jsonb): the legs of one posting request, in
-- order, each with its shape problem (leg_problem) and its account (NULL when the tenant
-- has no account of that code). The one resolution of a request's legs, used by
-- post_journal_request and, per request, by the batch's fast path.
-- Each account is one index lookup (OFFSET 0 keeps it a nested lookup: a join could choose
-- to scan the whole account table, and under SERIALIZABLE that read would lock all of it).
-- allow_negative is true when the account has no limit at all (it may go negative and has
-- neither min_balance nor max_balance): the posting paths check the limits
-- (check_account_limits) only for the other legs, so an account without limits pays nothing.
-- SQL and STABLE, one SELECT: inlined into the caller's query.

CREATE OR REPLACE FUNCTION ledger_private.posting_legs(p_tenant text, p_legs jsonb)
RETURNS TABLE (leg_no integer, problem text, side text, amount text, ccy text,
               account_id bigint, allow_negative boolean)
LANGUAGE sql STABLE
AS $$
    SELECT e.ordinality::integer, ledger_private.leg_problem(e.value),
           e.value ->> 'side', e.value ->> 'amount', e.value ->> 'ccy',
           a.account_id, a.allow_negative
      FROM jsonb_array_elements(p_legs) WITH ORDINALITY AS e
      LEFT JOIN LATERAL (
            SELECT a.account_id,
                   a.allow_negative AND a.min_balance IS NULL AND a.max_balance IS NULL AS allow_negative
              FROM ledger_private.account AS a
             WHERE a.tenant = p_tenant AND a.code = e.value ->> 'account'
            OFFSET 0) AS a ON true
     ORDER BY e.ordinality
$$;

COMMENT ON FUNCTION ledger_private.posting_legs(text, jsonb) IS
    'The legs of a posting request in order, with shape problem and resolved account';
