-- ledger_private.api_limit(name) → integer: every size and count limit of the SQL API, in
-- one place. The checks compare against api_limit('…') and name the limit in their
-- messages from here, so a limit changes in this file only; ledger.api_limits() lists them
-- with what each one bounds (the REST service's OpenAPI document reads them from there).
-- SQL and IMMUTABLE: a call with a constant name is inlined and folded to its constant when
-- the calling query is planned, so the hot paths pay nothing for the indirection. An
-- unknown name is NULL (and fails every comparison, which the pgTAP suite would show).
-- The table constraints of the migrations are backstops behind these checks: lowering a
-- limit needs this file only, raising one past its backstop a migration as well.

CREATE OR REPLACE FUNCTION ledger_private.api_limit(p_name text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE p_name
               WHEN 'tenant_length' THEN 64
               WHEN 'idempotency_key_length' THEN 255
               WHEN 'client_id_length' THEN 64
               WHEN 'memo_length' THEN 1000
               WHEN 'ref_length' THEN 200
               WHEN 'metadata_bytes' THEN 16384
               WHEN 'legs_min' THEN 2
               WHEN 'legs_max' THEN 500
               WHEN 'conditions_max' THEN 20
               WHEN 'batch_requests' THEN 1000
               WHEN 'page_size' THEN 1000
               WHEN 'amount_digits' THEN 20
               WHEN 'account_code_length' THEN 64
               WHEN 'account_name_length' THEN 200
               WHEN 'fx_rate_digits' THEN 12
               WHEN 'fx_rate_decimals' THEN 12
               WHEN 'fx_source_length' THEN 200
               WHEN 'statement_file_name_length' THEN 500
               WHEN 'statement_ref_length' THEN 200
               WHEN 'statement_id_length' THEN 200
               WHEN 'statement_description_length' THEN 1000
               WHEN 'date_format_length' THEN 40
               WHEN 'api_key_name_length' THEN 200
               -- A key's rate limit (README, "Tenants, keys and logins"): its bounds, and the
               -- requests per second of a key created without one (burst: twice that).
               WHEN 'key_rate_max' THEN 10000
               WHEN 'key_burst_max' THEN 10000
               WHEN 'key_rate_default' THEN 100
               -- Costs a caller could otherwise choose (README, "Limits"):
               WHEN 'effective_date_days_back' THEN 366
               WHEN 'effective_date_days_ahead' THEN 366
               WHEN 'recon_tolerance_max' THEN 1000
               WHEN 'recon_pair_rounds' THEN 16
               WHEN 'page_legs' THEN 5000
               WHEN 'statement_days' THEN 366
               WHEN 'statement_page_legs' THEN 10000
               WHEN 'problem_lines_shown' THEN 20
               WHEN 'problem_value_length' THEN 40
               -- The live page's demo tenants (ledger.create_demo_tenant):
               WHEN 'demo_tenants_per_address' THEN 10
               WHEN 'demo_leg_amount_max' THEN 500
               -- Webhooks (ledger.create_webhook; README, "Webhooks"): the URL, a secret the
               -- caller chooses, the live endpoints of a tenant, and the dead letters one
               -- failed delivery may write (the rest at the next one).
               WHEN 'webhook_url_length' THEN 2048
               WHEN 'webhook_secret_length_min' THEN 16
               WHEN 'webhook_secret_length_max' THEN 200
               WHEN 'webhooks_per_tenant' THEN 20
               WHEN 'webhook_dead_letters_per_call' THEN 10000
               -- Balance monitors per tenant (ledger.create_monitor):
               WHEN 'monitors_max' THEN 100
           END
$$;

COMMENT ON FUNCTION ledger_private.api_limit(text) IS
    'The size and count limits of the SQL API, by name (NULL for an unknown name)';
