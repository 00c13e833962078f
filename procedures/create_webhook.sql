-- ledger.create_webhook: a webhook endpoint of the caller's tenant (capability admin): the
-- worker of `doublex serve` (or `doublex webhooks deliver`) POSTs each new event of the
-- tenant of the given types to the URL, signed with the secret (README, "Webhooks").
--
--   SELECT * FROM ledger.create_webhook('https://hooks.example.com/doublex',
--                                       ARRAY['journal.posted', 'hold.created']);
--   → webhook_id, url, types, secret, created_at, created_by
--
-- url     http or https, a host, no credentials, at most api_limit('webhook_url_length')
--         characters (DX059)
-- types   the event types to receive (ledger_private.event_types(); DX059 for another or an
--         empty list); NULL: every type
-- secret  the signing secret, api_limit('webhook_secret_length_min') to
--         api_limit('webhook_secret_length_max') printable characters without spaces
--         (DX059); NULL: one is made, `whsec_` and 64 hex digits (256 bits from three
--         version-4 UUIDs, as API keys are). Answered here and never again.
-- The endpoint receives the events sequenced after its creation (replay_webhook reaches
-- back). At most api_limit('webhooks_per_tenant') live endpoints a tenant (DX062). Audited.
-- Raises DX016, DX019, DX040–DX043, DX059, DX062.

CREATE OR REPLACE FUNCTION ledger.create_webhook(
    url text,
    types text[] DEFAULT NULL,
    secret text DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.new_webhook
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize_write('admin', create_webhook.tenant);
    v_url text := ledger_private.checked_webhook_url(create_webhook.url);
    v_types text[] := ledger_private.checked_webhook_types(create_webhook.types);
    v_secret text := coalesce(
        create_webhook.secret,
        'whsec_' || encode(sha256(convert_to(gen_random_uuid()::text || gen_random_uuid()::text
                                             || gen_random_uuid()::text, 'UTF8')), 'hex'));
    v_hook ledger_private.webhook;
BEGIN
    IF char_length(v_secret) NOT BETWEEN ledger_private.api_limit('webhook_secret_length_min')
                                     AND ledger_private.api_limit('webhook_secret_length_max')
       OR v_secret !~ '^[!-~]+$' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX059', COLUMN = 'secret',
            MESSAGE = format('secret: must be %s to %s printable ASCII characters without spaces',
                             ledger_private.api_limit('webhook_secret_length_min'),
                             ledger_private.api_limit('webhook_secret_length_max')),
            HINT = 'Leave it out (null) and one is made for you.';
    END IF;
    -- Endpoints of a tenant are counted under the tenant's row lock: two creations at once
    -- cannot both take the last place.
    PERFORM FROM ledger_private.tenant AS t WHERE t.tenant = v_who.tenant FOR UPDATE;
    IF (SELECT count(*) FROM ledger_private.webhook AS w
         WHERE w.tenant = v_who.tenant AND w.deleted_at IS NULL)
       >= ledger_private.api_limit('webhooks_per_tenant') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX062',
            MESSAGE = format('tenant %s already has %s live webhooks, the most it may have',
                             v_who.tenant, ledger_private.api_limit('webhooks_per_tenant')),
            HINT = 'Delete one (DELETE /api/webhooks/{webhook_id}) first.';
    END IF;
    INSERT INTO ledger_private.webhook AS w (webhook_id, tenant, url, types, secret, created_by, cursor)
    VALUES ('dxw_' || left(replace(gen_random_uuid()::text, '-', ''), 12), v_who.tenant, v_url,
            v_types, v_secret, v_who.actor,
            coalesce((SELECT max(e.position) FROM ledger_private.event AS e), 0))
    RETURNING w.* INTO v_hook;
    PERFORM ledger_private.append_audit(v_who, 'create_webhook', v_hook.webhook_id,
                                        jsonb_build_object('url', v_hook.url, 'types', v_hook.types));
    RETURN ROW(v_hook.webhook_id, v_hook.url, v_hook.types, v_hook.secret, v_hook.created_at,
               v_hook.created_by)::ledger.new_webhook;
END
$$;

COMMENT ON FUNCTION ledger.create_webhook(text, text[], text, text) IS
    'Creates a webhook endpoint of the tenant; its signing secret is answered once';
GRANT EXECUTE ON FUNCTION ledger.create_webhook(text, text[], text, text) TO doublex_api;
