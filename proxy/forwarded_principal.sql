-- What every routed call carries to its shard: the caller's key token (empty for an admin
-- or the service's housekeeping: the shard then knows them by the login the proxy's user
-- mapping gives them) and the actor its writes are signed with (doublex.actor, else the
-- proxy's session login). Inlined SQL.

CREATE OR REPLACE FUNCTION ledger_proxy.forwarded_key()
RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT coalesce(current_setting('doublex.api_key', true), '') $$;
CREATE OR REPLACE FUNCTION ledger_proxy.forwarded_actor()
RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT coalesce(nullif(current_setting('doublex.actor', true), ''), session_user) $$;
REVOKE ALL ON FUNCTION ledger_proxy.forwarded_key() FROM PUBLIC;
REVOKE ALL ON FUNCTION ledger_proxy.forwarded_actor() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_proxy.forwarded_key() TO doublex_api, doublex_service;
GRANT EXECUTE ON FUNCTION ledger_proxy.forwarded_actor() TO doublex_api, doublex_service;
