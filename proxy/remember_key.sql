-- A key created through the proxy: its id routes its later calls. An id already known keeps
-- its tenant (a caller cannot redirect another key's calls).

CREATE OR REPLACE FUNCTION ledger_proxy.remember_key(p_key_id text, p_tenant text)
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO ledger_proxy.api_key (key_id, tenant)
    SELECT p_key_id, p_tenant WHERE p_tenant IS NOT NULL
    ON CONFLICT (key_id) DO NOTHING
$$;
REVOKE ALL ON FUNCTION ledger_proxy.remember_key(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_proxy.remember_key(text, text) TO doublex_api;
