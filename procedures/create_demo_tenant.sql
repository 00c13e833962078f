-- ledger.create_demo_tenant: a fresh tenant for an anonymous visitor of the live page, with
-- its two accounts and a key that can post to and read only them.
--
--   SELECT * FROM ledger.create_demo_tenant('203.0.113.7');
--   → tenant, key_id, token, debit_account, credit_account, ccy, posting_limit, created_at
--
-- The tenant is demo-<16 hex>; its accounts DEMO-CASH (asset) and DEMO-REV (income), both
-- in EUR with a posting limit of api_limit('demo_leg_amount_max') per leg (the leg trigger
-- refuses more with DX047, whoever sends it: the page, curl, a batch); its key holds post
-- and read (the token is shown in this answer only). A tenant's key reaches its own
-- accounts only, and this tenant has no others.
-- client_address: the visitor's address; one address creates at most
-- api_limit('demo_tenants_per_address') demo tenants per hour (DX048, whose DETAIL says
-- after how many seconds the oldest of them leaves the hour: REST answers 429 with that
-- Retry-After). Concurrent creations from one address conflict at SERIALIZABLE and are
-- retried, so the bound is exact.
-- Granted to the REST service's own login (doublex_service, no key: an anonymous visitor
-- has none) and to nobody else; the owner may call it too. The creation is in the new
-- tenant's audit log, actor `service` (or the admin).
-- Raises DX016 (below SERIALIZABLE), DX019 (no address), DX048.

CREATE OR REPLACE FUNCTION ledger.create_demo_tenant(
    client_address inet
) RETURNS ledger.demo_tenant
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_tenant text := 'demo-' || left(replace(gen_random_uuid()::text, '-', ''), 16);
    v_who ledger_private.principal;
    v_limit numeric := ledger_private.api_limit('demo_leg_amount_max');
    v_recent integer;
    v_oldest timestamptz;
    v_key ledger.new_api_key;
BEGIN
    IF create_demo_tenant.client_address IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX019', COLUMN = 'client_address',
            MESSAGE = 'client_address: required (the address the demo tenant is created for)';
    END IF;
    PERFORM ledger_private.require_serializable();
    SELECT count(*)::integer, min(d.created_at) INTO v_recent, v_oldest
      FROM ledger_private.demo_tenant AS d
     WHERE d.client_address = create_demo_tenant.client_address
       AND d.created_at > now() - interval '1 hour';
    IF v_recent >= ledger_private.api_limit('demo_tenants_per_address') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX048', COLUMN = 'client_address',
            MESSAGE = format('client_address: %s created %s demo tenants in the last hour, the most allowed',
                             host(create_demo_tenant.client_address), v_recent),
            DETAIL = format('Retry after %s seconds.',
                            greatest(1, ceil(extract(epoch FROM v_oldest + interval '1 hour' - now())))::integer),
            HINT = 'Keep using the demo tenant you have, or wait.';
    END IF;

    v_who := ROW(v_tenant, CASE WHEN session_user = 'doublex_service' THEN 'service'
                                ELSE ledger_private.admin_actor() END);
    INSERT INTO ledger_private.tenant (tenant, created_by) VALUES (v_tenant, v_who.actor);
    INSERT INTO ledger_private.demo_tenant (tenant, client_address)
    VALUES (v_tenant, create_demo_tenant.client_address);
    INSERT INTO ledger_private.account AS a
           (tenant, code, name, ccy, type, allow_negative, max_leg_amount, created_by, changed_by)
    VALUES (v_tenant, 'DEMO-CASH', 'Demo cash', 'EUR', 'asset', true, v_limit, v_who.actor, v_who.actor),
           (v_tenant, 'DEMO-REV', 'Demo revenue', 'EUR', 'income', true, v_limit, v_who.actor, v_who.actor);
    PERFORM ledger_private.append_audit(v_who, 'create_demo_tenant', v_tenant,
                                        jsonb_build_object('client_address', host(create_demo_tenant.client_address),
                                                           'posting_limit', v_limit));
    v_key := ledger_private.issue_api_key(v_who, 'demo page', ARRAY['post', 'read'], NULL, NULL, NULL);
    RETURN ROW(v_tenant, v_key.key_id, v_key.token, 'DEMO-CASH', 'DEMO-REV', 'EUR', v_limit,
               now())::ledger.demo_tenant;
END
$$;

COMMENT ON FUNCTION ledger.create_demo_tenant(inet) IS
    'Creates a demo tenant (two limited EUR accounts, a post,read key) for a client address, bounded per hour';
-- The service's own login calls it without a key: an anonymous visitor has none.
GRANT EXECUTE ON FUNCTION ledger.create_demo_tenant(inet) TO doublex_service;
