-- ledger_private.default_effective_date(tenant): the business date a posting without an
-- effective date belongs to: the current calendar date in UTC.

CREATE OR REPLACE FUNCTION ledger_private.default_effective_date(p_tenant text) RETURNS date
LANGUAGE sql STABLE
AS $$
    SELECT (now() AT TIME ZONE 'UTC')::date
$$;

COMMENT ON FUNCTION ledger_private.default_effective_date(text) IS
    'Business date for postings without an effective date';
