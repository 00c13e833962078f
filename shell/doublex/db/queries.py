"""Every statement the shell sends, named, in one place.

Each SQL API function is called with named arguments bound to `%(name)s` parameters of the
same name, so a reader sees which value goes where and new optional parameters never shift
positions. `call("fx_rate", "base", "quote", "on_date=on", "tenant")` is
`SELECT * FROM ledger.fx_rate(base => %(base)s, quote => %(quote)s, on_date => %(on)s,
tenant => %(tenant)s)`: an argument written `name=param` binds a differently named parameter.
"""

from __future__ import annotations

from collections.abc import Mapping


def call(function: str, *arguments: str) -> str:
    """`SELECT * FROM ledger.<function>(argument => %(parameter)s, …)`."""
    bound = []
    for argument in arguments:
        name, _, parameter = argument.partition("=")
        bound.append(f"{name} => %({parameter or name})s")
    return f"SELECT * FROM ledger.{function}({', '.join(bound)})"


# The SQL API calls: function name → its arguments in the function's order, space-separated.
_CALLS: Mapping[str, str] = {
    "create_account": "code name ccy type allow_negative metadata tenant",
    "get_account": "code tenant",
    "list_accounts": "after_code page_size tenant",
    "set_account_status": "code status tenant",
    "post_journal": "idempotency_key legs effective_date memo ref metadata conditions tenant",
    "reverse_journal": "journal_id idempotency_key memo tenant",
    "get_balance": "account as_of tenant",
    "get_journal": "journal_id tenant",
    "list_journals": "from_date to_date account after_cursor page_size tenant",
    "roll_up_balances": "tenant",
    "post_journals": "requests tenant",
    "reverse_journals": "requests tenant",
    "health": "",
    "api_limits": "",
    "upsert_fx_rate": "base quote rate valid_on source tenant",
    "fx_rate": "base quote on_date=on tenant",
    "post_fx_transfer": "idempotency_key from_account to_account amount fixed_side rate"
    " effective_date memo ref tenant",
    "fx_position": "as_of reporting_ccy tenant",
    "stage_statement": "tenant",
    "import_statement": "account file_name date_format tenant",
    "recon_run": "account business_date tolerance tenant",
    "recon_summaries": "business_date account tenant",
    "recon_items": "business_date account exceptions_only after_cursor page_size tenant",
    "recon_mismatch_totals": "tenant",
    "business_date": "at tenant",
    "set_ledger_settings": "time_zone cutoff tenant",
    "eod_close": "business_date tenant",
    "eod_status": "tenant",
    "verify_seals": "tenant",
    "balance_history": "account from_date to_date tenant",
    "account_statement": "account from_date to_date after_cursor page_size tenant",
    # tenants, keys, SQL logins, audit (procedures/*.sql; the owner-only ones as admin)
    "create_tenant": "tenant",
    "list_tenants": "",
    "get_tenant": "tenant",
    "create_api_key": "name capabilities expires_at requests_per_second burst tenant",
    "list_api_keys": "tenant",
    "revoke_api_key": "key_id tenant",
    "set_api_key_rate": "key_id requests_per_second burst tenant",
    "key_rate": "",
    "bind_sql_login": "login capabilities tenant",
    "unbind_sql_login": "login",
    "list_sql_logins": "tenant",
    "list_audit": "after_id page_size tenant",
    # the live page's demo tenants (the service's own login) and the trial balance
    "create_demo_tenant": "client_address",
    "prune_demo_tenants": "older_than",
    "trial_balance": "as_of after_code page_size tenant",
    "trial_balance_totals": "as_of tenant",
    # holds and limits (issue #17)
    "create_hold": "idempotency_key legs expires_at memo ref metadata conditions tenant",
    "capture_hold": "hold_id idempotency_key amounts effective_date conditions tenant",
    "void_hold": "hold_id idempotency_key tenant",
    "create_holds": "requests tenant",
    "capture_holds": "requests tenant",
    "get_hold": "hold_id tenant",
    "list_holds": "account status after_id page_size tenant",
    "expire_holds": "tenant",
    "sweep_expired_holds": "",
    "set_account_limits": "code min_balance max_balance tenant",
    "get_available_balance": "account tenant",
    # events (issue #18)
    "list_events": "after types page_size tenant",
    "sequence_events": "",
    # webhooks (issue #18)
    "create_webhook": "url types secret tenant",
    "list_webhooks": "tenant",
    "delete_webhook": "webhook_id tenant",
    "replay_webhook": "webhook_id from_position tenant",
    "list_webhook_deliveries": "webhook_id outcome before page_size tenant",
    "claim_webhook_events": "webhook_id page_size lease_seconds",
    "record_webhook_deliveries": (
        "webhook_id claim_token positions event_ids statuses errors durations_ms"
        " retry_base_seconds retry_cap_seconds give_up_seconds"
    ),
    "webhook_endpoints": "",
    "create_monitor": "account account_type field condition threshold tenant",
    "list_monitors": "tenant",
    "delete_monitor": "monitor_id tenant",
}

# stage_statement and business_date return one value; in FROM, its column takes the
# function's name (business_date).
QUERIES: Mapping[str, str] = {
    **{name: call(name, *arguments.split()) for name, arguments in _CALLS.items()},
    # A journal of the earlier, per-client API: the ledger scopes its key (client_id:key).
    "post_client_journal": call("post_journal", *_CALLS["post_journal"].split()).replace(
        "%(idempotency_key)s",
        "ledger.client_idempotency_key(%(client_id)s, %(idempotency_key)s)",
    ),
    # Every item of a reconciliation, a page of the ledger's default size at a time.
    "recon_items_after": call("recon_items", "business_date", "account", "after_cursor", "tenant"),
    # The lines of a statement, into the staging table ledger.stage_statement made.
    "copy_statement": """
        COPY pg_temp.doublex_statement_staging
             (line_no, line_date, ref, amount, ccy, description, bank_id, extra_fields)
        FROM STDIN
    """,
}
