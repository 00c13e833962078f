"""Every operation of the REST service, declared once: method, path, handler, argument
model, responses. app.py routes them; document.py turns them into /api/openapi.json."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from doublex.api import (
    args,
    docs,
    document,
    handlers,
    handlers_access,
    handlers_eod,
    handlers_events,
    handlers_fx,
    handlers_holds,
    handlers_metrics,
    handlers_monitors,
    handlers_recon,
    handlers_webhooks,
    responses,
)
from doublex.api import responses_events as ev
from doublex.api.limits import Limit, Text
from doublex.api.operation import JSON, PROBLEM, Access, Operation, Response, link, page

JOURNAL_LINKS = {
    "GetJournal": link("getJournal", journal_id="$response.body#/journal_id"),
    "ReverseJournal": link("reverseJournal", journal_id="$response.body#/journal_id"),
}
FX_LINKS = {
    "GetSourceJournal": link("getJournal", journal_id="$response.body#/source_journal_id"),
    "GetDestinationJournal": link(
        "getJournal", journal_id="$response.body#/destination_journal_id"
    ),
}
HOLD_LINKS = {
    "GetHold": link("getHold", hold_id="$response.body#/hold_id"),
    "CaptureHold": link("captureHold", hold_id="$response.body#/hold_id"),
    "VoidHold": link("voidHold", hold_id="$response.body#/hold_id"),
}
RESOLUTION_LINKS = {"GetHold": HOLD_LINKS["GetHold"]}
JOURNAL_OF_CAPTURE = {
    **RESOLUTION_LINKS,
    "GetJournal": link("getJournal", journal_id="$response.body#/journal_id"),
}
HOLDS_DESCRIPTION = (
    "Holds oldest first, a page at a time (`limit`, then `cursor` = the previous page's "
    "`next_cursor`); `account`: those with a leg on it; `status` as each hold reads now (a "
    "hold past its `expires_at` is expired whether or not the sweep marked it)."
)
ACCOUNT_LINKS = {
    "GetAccount": link("getAccount", code="$response.body#/code"),
    "GetBalance": link("getBalance", code="$response.body#/code"),
}
RECON_REPORT_DESCRIPTION = (
    "The latest run of one account and date. Without `account` the answer is the one account "
    "reconciled that date; when several accounts were reconciled that date it is 422 "
    "(problem document, code `invalid_request`, field `account`) whose detail lists their "
    "codes and asks for `account`. 404 (`DX038`) when no run exists for that date, or for "
    "that account on that date; 404 (`DX020`) for an unknown account. The exceptions come a "
    "page at a time (`limit`, then `cursor` = the previous page's `next_cursor`)."
)
r = responses


def posting(
    posted: str, duplicate: str, model: type[BaseModel], links: dict[str, Any], again: bool = True
) -> dict[str, Response]:
    """201 when posted; 200 with the original result when the key was used before (with the
    same links, unless `again` is false)."""
    return {
        "201": Response(posted, model, links=links),
        "200": Response(duplicate, model, links=links if again else None),
    }


OPERATIONS: list[Operation[Any]] = [
    Operation(
        "GET",
        "/api/health",
        "health",
        "Service and database health",
        handlers.health,
        args.NoArgs,
        {
            "200": Response("Healthy", r.Health),
            "503": Response("The database cannot be reached", r.Health),
        },
        access=Access.OPEN,
    ),
    Operation(
        "GET",
        "/health",
        "liveness",
        "Liveness: the process answers (the earlier API's route; no database call)",
        handlers.liveness,
        args.NoArgs,
        {"200": Response("Alive", r.Liveness)},
        access=Access.OPEN,
    ),
    Operation(
        "GET",
        "/ready",
        "readiness",
        "Readiness: the database answers and has every migration of this version",
        handlers.readiness,
        args.NoArgs,
        {
            "200": Response("Ready", r.Readiness),
            "503": Response("Not ready: the database is unreachable or not migrated", r.Readiness),
        },
        access=Access.OPEN,
    ),
    Operation(
        "POST",
        "/api/accounts",
        "createAccount",
        "Open an account",
        handlers.create_account,
        args.CreateAccountArgs,
        {"201": Response("Created", r.Account, links=ACCOUNT_LINKS)},
        access=Access.ADMIN,
    ),
    Operation(
        "GET",
        "/api/accounts",
        "listAccounts",
        "List accounts by code",
        handlers.list_accounts,
        args.Page,
        {"200": Response("A page", r.AccountPage)},
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/accounts/{code}",
        "getAccount",
        "One account",
        handlers.get_account,
        args.AccountPath,
        {"200": Response("The account", r.Account)},
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/accounts/{code}/balance",
        "getBalance",
        "Balance on the account's normal side",
        handlers.get_balance,
        args.BalanceArgs,
        {"200": Response("The balance", r.Balance)},
        access=Access.READ,
    ),
    Operation(
        "PUT",
        "/api/accounts/{code}/limits",
        "setAccountLimits",
        "Set (or clear) the account's minimum and maximum balance",
        handlers_holds.set_limits,
        args.LimitsArgs,
        {"200": Response("The account's balances with its new limits", r.AvailableBalance)},
        "Both limits at once (a limit left out is none). The ledger enforces them on the "
        "available balance for every writer from then on; recorded in the audit log.",
        access=Access.ADMIN,
    ),
    Operation(
        "GET",
        "/api/accounts/{code}/history",
        "getBalanceHistory",
        "Opening, debits, credits and closing per closed business date",
        handlers_eod.get_history,
        args.HistoryArgs,
        {"200": Response("One item per closed date, in order", r.BalanceHistory)},
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/accounts/{code}/statement",
        "getStatement",
        Text(
            "Opening balance, every leg of the period with its running balance, closing "
            "balance; a page of `limit` legs at a time, at most {n} days",
            n=Limit("statement_days"),
        ),
        handlers_eod.get_statement,
        args.StatementArgs,
        {"200": Response("A page of the statement, in order", r.Statement)},
        access=Access.READ,
    ),
    Operation(
        "POST",
        "/api/transfers",
        "postTransfer",
        "Post a balanced journal, idempotently",
        handlers.post_transfer,
        args.TransferArgs,
        posting("Posted", "Duplicate: the original result", r.PostingResult, JOURNAL_LINKS),
        access=Access.POST,
    ),
    Operation(
        "POST",
        "/api/transfers/batch",
        "postTransferBatch",
        Text("Post up to {n} journals in one transaction", n=Limit("batch_requests")),
        handlers.post_transfer_batch,
        args.BatchArgs,
        {"200": Response("One result per request, in order", r.BatchResult)},
        access=Access.POST,
    ),
    Operation(
        "GET",
        "/api/journals",
        "listJournals",
        "Journals by effective date",
        handlers.list_journals,
        args.JournalsArgs,
        {"200": Response("A page", r.JournalPage)},
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/journals/{journal_id}",
        "getJournal",
        "One journal with its legs",
        handlers.get_journal,
        args.JournalPath,
        {"200": Response("The journal", r.Journal)},
        access=Access.READ,
    ),
    Operation(
        "POST",
        "/api/journals/{journal_id}/reverse",
        "reverseJournal",
        "Post the mirror journal, once",
        handlers.reverse_journal,
        args.ReverseArgs,
        posting(
            "Reversed",
            "Duplicate: the original reversal",
            r.PostingResult,
            {"GetJournal": JOURNAL_LINKS["GetJournal"]},
            again=False,
        ),
        access=Access.POST,
    ),
    Operation(
        "POST",
        "/api/holds",
        "createHold",
        "Reserve a balanced set of legs without posting them, idempotently",
        handlers_holds.create_hold,
        args.HoldCreateArgs,
        posting("Held", "Duplicate: the original hold", r.HoldCreated, HOLD_LINKS),
        "The legs are checked as a journal's and count as pending on their accounts until "
        "the hold is captured, voided or expires: they reduce the available balance at once "
        "(422 DX010 below an account's min_balance, DX054 above its max_balance).",
        access=Access.POST,
    ),
    Operation(
        "GET",
        "/api/holds",
        "listHolds",
        "Holds, oldest first, of one account and status when given",
        handlers_holds.list_holds,
        args.HoldsArgs,
        {"200": Response("A page", r.HoldPage)},
        HOLDS_DESCRIPTION,
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/holds/{hold_id}",
        "getHold",
        "One hold with its status, legs and resolution",
        handlers_holds.get_hold,
        args.HoldPath,
        {"200": Response("The hold", r.Hold)},
        access=Access.READ,
    ),
    Operation(
        "POST",
        "/api/holds/{hold_id}/capture",
        "captureHold",
        "Post a hold as a journal, whole or in part, and release the rest, idempotently",
        handlers_holds.capture_hold,
        args.HoldCaptureArgs,
        {
            "201": Response("Captured", r.HoldResolution, links=JOURNAL_OF_CAPTURE),
            "200": Response("Duplicate: the original capture", r.HoldResolution),
        },
        "Capture, void and expiry are exclusive: 409 DX050 after a capture, DX051 after a "
        "void, DX052 after expiry; 422 DX053 for amounts that do not fit the hold.",
        access=Access.POST,
    ),
    Operation(
        "POST",
        "/api/holds/{hold_id}/void",
        "voidHold",
        "Release a hold without posting it, idempotently",
        handlers_holds.void_hold,
        args.HoldVoidArgs,
        {
            "200": Response(
                "Voided, or duplicate: the original void", r.HoldResolution, links=RESOLUTION_LINKS
            )
        },
        "Exclusive with capture and expiry: 409 DX050 after a capture, DX051 after a void, "
        "DX052 after expiry.",
        access=Access.POST,
    ),
    Operation(
        "PUT",
        "/api/fx/rates/{base}/{quote}",
        "putFxRate",
        "Set the rate of a currency pair for a date (insert or replace)",
        handlers_fx.put_rate,
        args.RateSetArgs,
        {"200": Response("The stored rate", r.FxQuote)},
        access=Access.OPERATE,
    ),
    Operation(
        "GET",
        "/api/fx/rates",
        "getFxRate",
        "The rate of a pair on a date: direct, or inverted from the stored inverse pair",
        handlers_fx.get_rate,
        args.RateArgs,
        {"200": Response("The rate", r.FxQuote)},
        access=Access.READ,
    ),
    Operation(
        "POST",
        "/api/fx/transfers",
        "postFxTransfer",
        "Convert between accounts of two currencies (two journals via clearing), idempotently",
        handlers_fx.post_transfer,
        args.FxTransferArgs,
        posting("Settled", "Duplicate: the original settlement", r.FxSettlement, FX_LINKS),
        access=Access.POST,
    ),
    Operation(
        "GET",
        "/api/fx/position",
        "getFxPosition",
        "Open FX position per currency (clearing balances) in a reporting currency",
        handlers_fx.get_position,
        args.PositionArgs,
        {"200": Response("The position", r.FxPosition)},
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/reports/balances",
        "getTrialBalance",
        "The trial balance: every account's debits, credits and balance, and totals per currency",
        handlers.trial_balance,
        args.TrialBalanceArgs,
        {"200": Response("A page of accounts, and the totals of all of them", r.TrialBalance)},
        "Accounts by code, a page at a time (`limit`, then `cursor` = the previous page's "
        "`next_cursor`); `totals` cover every account of the tenant, per currency, and net "
        "to zero. `as_of`: the legs effective on or before that date.",
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/reports/recon",
        "getReconReport",
        "A date's reconciliation of one account: totals, counts, exceptions (404: no run)",
        handlers_recon.recon_summary,
        args.ReconArgs,
        {
            "200": Response("The reconciliation", r.ReconReport),
            "404": Response("No run for that date (DX038)", r.Problem, PROBLEM),
            "422": Response(
                "Several accounts were reconciled that date and `account` was left out (the "
                "detail lists them), or a malformed parameter",
                r.Problem,
                PROBLEM,
            ),
        },
        RECON_REPORT_DESCRIPTION,
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/reports/recon.html",
        "getReconReportHtml",
        "The reconciliation report of a date as a self-contained HTML page",
        handlers_recon.recon_html,
        args.ReconPageArgs,
        {"200": page("The page", "text/html")},
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/eod",
        "getEodStatus",
        "Business calendar: business date, latest close, open dates",
        handlers_eod.get_eod_status,
        args.NoArgs,
        {"200": Response("The status", r.EodStatus)},
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/tenant",
        "getTenant",
        "The key's tenant: its name, creation, accounts and active keys",
        handlers_access.get_tenant,
        args.NoArgs,
        {"200": Response("The tenant", r.Tenant)},
        access=Access.READ,
    ),
    Operation(
        "POST",
        "/api/keys",
        "createApiKey",
        "Create an API key of this tenant (its token is shown in this answer only)",
        handlers_access.create_key,
        args.CreateKeyArgs,
        {"201": Response("Created; keep the token, it is never shown again", r.ApiKeyCreated)},
        access=Access.ADMIN,
    ),
    Operation(
        "GET",
        "/api/keys",
        "listApiKeys",
        "The tenant's API keys (never their secrets)",
        handlers_access.list_keys,
        args.NoArgs,
        {"200": Response("Every key, revoked and expired ones too", r.ApiKeyList)},
        access=Access.ADMIN,
    ),
    Operation(
        "PATCH",
        "/api/keys/{key_id}",
        "setApiKeyRate",
        "Change an API key's rate limit: applies within DOUBLEX_KEY_RATE_SECONDS (5 s)",
        handlers_access.set_key_rate,
        args.KeyRateArgs,
        {"200": Response("The key with its new limit", r.ApiKeyListItem)},
        access=Access.ADMIN,
    ),
    Operation(
        "DELETE",
        "/api/keys/{key_id}",
        "revokeApiKey",
        "Revoke an API key: refused from its next transaction on",
        handlers_access.revoke_key,
        args.KeyPath,
        {"200": Response("The revoked key", r.ApiKeyListItem)},
        access=Access.ADMIN,
    ),
    Operation(
        "GET",
        "/api/audit",
        "listAudit",
        "Who did what: the tenant's audit log, oldest first",
        handlers_access.list_audit,
        args.AuditArgs,
        {"200": Response("A page", r.AuditPage)},
        access=Access.AUDIT,
    ),
    Operation(
        "GET",
        "/api/events",
        "listEvents",
        "The tenant's event log after a position, in commit order",
        handlers_events.list_events,
        args.EventsArgs,
        {"200": Response("A page", ev.EventPage)},
        description=(
            "Every committed change of the tenant as an event (its type, payload, actor), at "
            "its commit-ordered `position`. Read from `after=0`, then pass each full page's "
            "`next_cursor` (its last position) as `after`: an event whose transaction commits "
            "late still comes after the position you read, never before it. A page that is "
            "not full ends the log for now (`next_cursor` null): keep the last position and "
            "ask again. Each event type's payload is its schema in components/schemas. 422 "
            "(`DX058`) for a negative `after` or an unknown type."
        ),
        access=Access.READ,
    ),
    Operation(
        "GET",
        "/api/events/stream",
        "streamEvents",
        "The tenant's event log as Server-Sent Events, live",
        handlers_events.stream_events,
        args.EventStreamArgs,
        {
            "200": page(
                "The stream: each event's id is its position, its name its type, its "
                "data the event as GET /api/events answers it",
                "text/event-stream",
            )
        },
        description=(
            "The events after `Last-Event-ID` (or `after`), then each new one as it is "
            "sequenced (polled every DOUBLEX_SSE_POLL_SECONDS), with a ping comment every "
            "DOUBLEX_SSE_PING_SECONDS. The stream ends after DOUBLEX_SSE_MAX_SECONDS, or when "
            "the key is revoked; reconnecting with Last-Event-ID resumes exactly after the "
            "last event received."
        ),
        access=Access.READ,
        stream=True,
    ),
    Operation(
        "POST",
        "/api/webhooks",
        "createWebhook",
        "Create a webhook endpoint of this tenant (its secret is shown in this answer only)",
        handlers_webhooks.create_webhook,
        args.CreateWebhookArgs,
        {"201": Response("Created; keep the secret, it is never shown again", r.WebhookCreated)},
        description=(
            "Each event of the tenant sequenced from now on, of the given `types`, is POSTed "
            "to `url` as GET /api/events shows it, with the headers `Event-Id` (de-duplicate "
            "on it: delivery is at least once), `DoubleX-Event-Type` and `DoubleX-Signature: "
            't=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>`: verify it '
            "and refuse a `t` older than 5 minutes. A 2xx answer within "
            "DOUBLEX_WEBHOOK_TIMEOUT_SECONDS delivers; anything else is retried with "
            "exponential backoff and jitter, and after 24 h of failures the event becomes a "
            "dead letter. 422 (`DX059`) for a bad url, types or secret; 409 (`DX062`) past "
            "the tenant's limit of live endpoints."
        ),
        access=Access.ADMIN,
    ),
    Operation(
        "GET",
        "/api/webhooks",
        "listWebhooks",
        "The tenant's live webhook endpoints and their delivery state (never their secrets)",
        handlers_webhooks.list_webhooks,
        args.NoArgs,
        {"200": Response("Every live endpoint", r.WebhookList)},
        access=Access.ADMIN,
    ),
    Operation(
        "POST",
        "/api/webhooks/{webhook_id}/replay",
        "replayWebhook",
        "Deliver a webhook endpoint's events again from a position of the event log on",
        handlers_webhooks.replay_webhook,
        args.ReplayArgs,
        {"200": Response("The endpoint, its cursor just before `from`", r.WebhookListItem)},
        description=(
            "Moves the endpoint's cursor to just before `from` and clears its failing "
            "streak: every event of its types from that position on is delivered again "
            "(receivers de-duplicate by Event-Id). 422 (`DX061`) for a position below 1."
        ),
        access=Access.ADMIN,
    ),
    Operation(
        "GET",
        "/api/webhooks/{webhook_id}/deliveries",
        "listWebhookDeliveries",
        "A webhook endpoint's delivery history and dead letters, newest first",
        handlers_webhooks.list_deliveries,
        args.DeliveriesArgs,
        {"200": Response("A page", r.WebhookDeliveryPage)},
        description=(
            "Every attempt (`delivered`, `failed` with the status or the error) and every "
            "dead letter (`dead_letter`: an event given up after the endpoint failed for 24 h; "
            "replay from its position to send it again). 422 (`DX061`) for another outcome."
        ),
        access=Access.ADMIN,
    ),
    Operation(
        "DELETE",
        "/api/webhooks/{webhook_id}",
        "deleteWebhook",
        "Delete a webhook endpoint: nothing more is delivered to it (its history stays)",
        handlers_webhooks.delete_webhook,
        args.WebhookPath,
        {"200": Response("The deleted endpoint", r.WebhookListItem)},
        access=Access.ADMIN,
    ),
    Operation(
        "POST",
        "/api/monitors",
        "createMonitor",
        "Watch a balance: one event when a condition on it becomes true, one when it stops",
        handlers_monitors.create_monitor,
        args.CreateMonitorArgs,
        {"201": Response("Created, with the accounts where it holds already", r.MonitorInfo)},
        description=(
            "One account (`account`) or every account of a type (`account_type`); the "
            "`available` or `posted` balance; a `condition` (<, <=, >, >=) and a `threshold`. "
            "The ledger evaluates it in the transaction of every change that moves a "
            "covered balance (postings, holds, captures, voids, the expiry sweep) and "
            "writes `monitor.triggered` when the condition becomes true and "
            "`monitor.resolved` when it stops being true, exactly once per crossing (read "
            "them from GET /api/events). An account where the condition already holds fires "
            "`monitor.triggered` at creation. 422 (`DX063`) for a bad field, naming it; "
            "(`DX065`) past the tenant's monitors; 404 (`DX020`) for an unknown account."
        ),
        access=Access.ADMIN,
    ),
    Operation(
        "GET",
        "/api/monitors",
        "listMonitors",
        "The tenant's balance monitors, each with the accounts where it is triggered",
        handlers_monitors.list_monitors,
        args.NoArgs,
        {"200": Response("Every monitor, oldest first", r.MonitorList)},
        access=Access.READ,
    ),
    Operation(
        "DELETE",
        "/api/monitors/{monitor_id}",
        "deleteMonitor",
        "Stop watching: the monitor and its states go, and nothing more is announced",
        handlers_monitors.delete_monitor,
        args.MonitorPath,
        {"200": Response("The monitor as it was", r.MonitorInfo)},
        access=Access.ADMIN,
    ),
    Operation(
        "GET",
        "/api/openapi.json",
        "getOpenApi",
        "This document (OpenAPI 3.1)",
        document.serve,
        args.NoArgs,
        {"200": page("The document", JSON)},
        access=Access.OPEN,
    ),
    Operation(
        "GET",
        "/api/docs",
        "getDocs",
        "This document as a readable page (self-contained HTML)",
        docs.serve,
        args.NoArgs,
        {"200": page("The page", "text/html")},
        access=Access.OPEN,
    ),
    Operation(
        "GET",
        "/metrics",
        "getMetrics",
        "Prometheus metrics in the text exposition format",
        handlers_metrics.metrics_page,
        args.NoArgs,
        {"200": page("The metrics", "text/plain")},
        access=Access.LOOPBACK,
    ),
]
