-- ledger_proxy.route_caller() → integer: route(NULL), for the functions without a tenant
-- argument (PL/Proxy's RUN ON passes arguments only): the caller's own tenant.

CREATE OR REPLACE FUNCTION ledger_proxy.route_caller()
RETURNS integer
LANGUAGE sql STABLE
AS $$ SELECT ledger_proxy.route(NULL) $$;
REVOKE ALL ON FUNCTION ledger_proxy.route_caller() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_proxy.route_caller() TO doublex_api, doublex_service;
