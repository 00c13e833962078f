"""The routes of webhook endpoints: create, list, replay, their deliveries, delete."""

from __future__ import annotations

from typing import Any

from doublex.api import args, handlers_webhooks
from doublex.api import responses_webhooks as r
from doublex.api.operation import Access, Operation, Response

OPERATIONS: list[Operation[Any]] = [
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
]
