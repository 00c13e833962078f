-- ledger_proxy.route_caller_read() → integer: route_read(NULL), for the reads without a
-- tenant argument: the caller's own tenant, never fenced.

CREATE OR REPLACE FUNCTION ledger_proxy.route_caller_read()
RETURNS integer
LANGUAGE sql STABLE
AS $$ SELECT ledger_proxy.route_read(NULL) $$;
REVOKE ALL ON FUNCTION ledger_proxy.route_caller_read() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_proxy.route_caller_read() TO doublex_api, doublex_service;
