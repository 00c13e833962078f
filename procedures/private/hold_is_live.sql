-- ledger_private.hold_is_live(expires_at) → boolean: a hold without a resolution counts as
-- pending while this is true. The hold clock is statement_timestamp(): a hold past its
-- expires_at is released for every balance at once, whether or not the expiry sweep
-- (ledger.expire_holds) has run. SQL and STABLE so that it is inlined.

CREATE OR REPLACE FUNCTION ledger_private.hold_is_live(p_expires_at timestamptz)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT p_expires_at IS NULL OR p_expires_at > statement_timestamp()
$$;

COMMENT ON FUNCTION ledger_private.hold_is_live(timestamptz) IS
    'Whether a hold not yet resolved is still pending (not past its expires_at)';
