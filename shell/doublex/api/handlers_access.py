"""Tenants, API keys and the audit log: who may do what, and who did it."""

from __future__ import annotations

from aiohttp import web

from doublex.api import args
from doublex.api.handlers import ledger, respond


async def get_tenant(request: web.Request, _: args.NoArgs) -> web.Response:
    return respond(await ledger(request).get_tenant())


async def create_key(request: web.Request, a: args.CreateKeyArgs) -> web.Response:
    body = a.body
    created = await ledger(request).create_api_key(
        body.name, body.capabilities, body.expires_at,
        requests_per_second=body.requests_per_second, burst=body.burst,
    )  # fmt: skip
    return respond(created, 201)


async def list_keys(request: web.Request, _: args.NoArgs) -> web.Response:
    return respond({"items": await ledger(request).list_api_keys()})


async def revoke_key(request: web.Request, a: args.KeyPath) -> web.Response:
    return respond(await ledger(request).revoke_api_key(a.key_id))


async def set_key_rate(request: web.Request, a: args.KeyRateArgs) -> web.Response:
    rate = a.body
    return respond(
        await ledger(request).set_api_key_rate(a.key_id, rate.requests_per_second, rate.burst)
    )


async def list_audit(request: web.Request, a: args.AuditArgs) -> web.Response:
    items = await ledger(request).list_audit(a.cursor, a.limit)
    next_cursor = str(items[-1]["audit_id"]) if len(items) == a.limit else None
    return respond({"items": items, "next_cursor": next_cursor})
