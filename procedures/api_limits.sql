-- ledger.api_limits: every size and count limit of the SQL API, what it bounds, and its value.
--
--   SELECT * FROM ledger.api_limits();
--   → name, value, meaning; e.g. ('idempotency_key_length', 255, 'characters of an idempotency key')
--
-- The values are ledger_private.api_limit(name), the one place a limit is written; this
-- lists the names. Callers that restate a limit (the REST service's OpenAPI document, for
-- one) read it here rather than copying the number. In name order.

CREATE OR REPLACE FUNCTION ledger.api_limits()
RETURNS TABLE (name text, value integer, meaning text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT l.name, ledger_private.api_limit(l.name), l.meaning
      FROM (VALUES
          ('tenant_length', 'characters of a tenant name'),
          ('idempotency_key_length', 'characters of an idempotency key'),
          ('client_id_length', 'characters of a compatibility client id (its key is client_id:key, '
                               'so that key gets what the ledger key leaves)'),
          ('memo_length', 'characters of a journal''s memo'),
          ('ref_length', 'characters of a journal''s external reference'),
          ('metadata_bytes', 'bytes of a journal''s or an account''s metadata as JSON text'),
          ('legs_min', 'fewest legs of one journal'),
          ('legs_max', 'most legs of one journal'),
          ('conditions_max', 'balance conditions of one posting, hold or capture'),
          ('batch_requests', 'requests of one post_journals batch'),
          ('page_size', 'rows of one page (pages hold at least one)'),
          ('amount_digits', 'digits of a leg''s amount before and after the decimal point; '
                            'an FX amount is below 10^amount_digits'),
          ('account_code_length', 'characters of an account code'),
          ('account_name_length', 'characters of an account name, spaces around it trimmed '
                                  '(at least one)'),
          ('fx_rate_digits', 'digits of an FX rate before the decimal point (a rate is below '
                             '10^fx_rate_digits)'),
          ('fx_rate_decimals', 'decimals of an FX rate (inverted rates are rounded to them)'),
          ('fx_source_length', 'characters of an FX rate''s source (at least one)'),
          ('statement_file_name_length', 'characters of an imported statement''s file name'),
          ('statement_ref_length', 'characters of a statement line''s reference'),
          ('statement_id_length', 'characters of a statement line''s bank id'),
          ('statement_description_length', 'characters of a statement line''s description'),
          ('date_format_length', 'characters of a statement''s date format'),
          ('effective_date_days_back', 'days a journal''s effective date may lie before the '
                                       'tenant''s current business date'),
          ('effective_date_days_ahead', 'days a journal''s effective date may lie after the '
                                        'tenant''s current business date'),
          ('recon_tolerance_max', 'largest reconciliation tolerance, in units of the '
                                  'account''s currency'),
          ('recon_pair_rounds', 'set-based pairing rounds of a reconciliation pass before it '
                                'finishes in one sorted pass'),
          ('page_legs', 'legs of one list_journals page: a page stops after the journal that '
                        'reaches them (it holds at least one journal)'),
          ('statement_days', 'days of one account statement, from_date to to_date inclusive '
                             '(a leap year)'),
          ('statement_page_legs', 'legs of one account_statement page'),
          ('problem_lines_shown', 'bad lines a DX035 detail lists (then: and N more)'),
          ('problem_value_length', 'characters of a bad value quoted in a DX035 detail'),
          ('api_key_name_length', 'characters of an API key''s name (at least one)'),
          ('key_rate_max', 'requests per second an API key may be given (at least one)'),
          ('key_burst_max', 'burst an API key may be given: requests it may make at once '
                            'after a pause (at least one)'),
          ('key_rate_default', 'requests per second of a key created without a rate (its '
                               'burst: twice that, at most key_burst_max)'),
          ('demo_tenants_per_address', 'demo tenants one client address may create per hour '
                                       '(ledger.create_demo_tenant)'),
          ('demo_leg_amount_max', 'largest amount of one leg on a demo tenant''s accounts '
                                  '(their posting limit, in EUR)'),
          ('webhook_url_length', 'characters of a webhook endpoint''s URL (http or https)'),
          ('webhook_secret_length_min', 'fewest characters of a webhook secret the caller chooses'),
          ('webhook_secret_length_max', 'most characters of a webhook secret the caller chooses'),
          ('webhooks_per_tenant', 'live webhook endpoints of one tenant'),
          ('webhook_dead_letters_per_call', 'dead letters one failed delivery writes (the rest '
                                            'at the next failure)'),
          ('monitors_max', 'balance monitors a tenant may have (ledger.create_monitor)')
      ) AS l (name, meaning)
     ORDER BY l.name
$$;

COMMENT ON FUNCTION ledger.api_limits() IS
    'Every size and count limit of the SQL API: name, value (from api_limit) and meaning';
GRANT EXECUTE ON FUNCTION ledger.api_limits() TO doublex_api;
