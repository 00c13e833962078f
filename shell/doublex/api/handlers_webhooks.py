"""Webhook endpoints (issue #18): create, list, delete, replay, and their delivery history.
The deliveries themselves are the worker's (doublex.webhooks)."""

from __future__ import annotations

from aiohttp import web

from doublex.api import args
from doublex.api.handlers import ledger, respond


async def create_webhook(request: web.Request, a: args.CreateWebhookArgs) -> web.Response:
    body = a.body
    return respond(await ledger(request).create_webhook(body.url, body.types, body.secret), 201)


async def list_webhooks(request: web.Request, _: args.NoArgs) -> web.Response:
    return respond({"items": await ledger(request).list_webhooks()})


async def delete_webhook(request: web.Request, a: args.WebhookPath) -> web.Response:
    return respond(await ledger(request).delete_webhook(a.webhook_id))


async def replay_webhook(request: web.Request, a: args.ReplayArgs) -> web.Response:
    return respond(await ledger(request).replay_webhook(a.webhook_id, a.from_position))


async def list_deliveries(request: web.Request, a: args.DeliveriesArgs) -> web.Response:
    items = await ledger(request).list_webhook_deliveries(
        a.webhook_id, a.outcome, a.cursor, a.limit
    )
    next_cursor = str(items[-1]["delivery_id"]) if len(items) == a.limit else None
    return respond({"items": items, "next_cursor": next_cursor})
