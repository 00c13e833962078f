-- ledger_private.close_fence_key(tenant, date, closed_through) → bigint: the advisory lock
-- key fencing a business date against its close.
--
-- The fence key of a date: closes hold it exclusively while they run, postings share it.
-- Dates within 64 days after the tenant's closed date have a key of their own; every other
-- date (and every date of a tenant that never closed) shares the tenant's wide key.
-- (First defined in migrations/0007_end_of_day.sql; this file is its only home since.)

CREATE OR REPLACE FUNCTION ledger_private.close_fence_key(p_tenant text, p_date date, p_closed_through date)
RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT (hashtext('doublex.close_fence/' || p_tenant)::bigint << 32)
           | CASE WHEN p_date - p_closed_through BETWEEN 1 AND 64
                  THEN (p_date - p_closed_through)::bigint ELSE 0 END
$$;

COMMENT ON FUNCTION ledger_private.close_fence_key(text, date, date) IS
    'Advisory lock key of a business date: closes hold it exclusively, postings share it';
