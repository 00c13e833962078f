"""Balance monitors: create, list, delete (the ledger evaluates them itself)."""

from __future__ import annotations

from aiohttp import web

from doublex.api import args
from doublex.api.handlers import ledger, respond


async def create_monitor(request: web.Request, a: args.CreateMonitorArgs) -> web.Response:
    m = a.body
    created = await ledger(request).create_monitor(
        m.account, m.account_type, m.field, m.condition, m.threshold
    )
    return respond(created, 201)


async def list_monitors(request: web.Request, _: args.NoArgs) -> web.Response:
    return respond({"items": await ledger(request).list_monitors()})


async def delete_monitor(request: web.Request, a: args.MonitorPath) -> web.Response:
    return respond(await ledger(request).delete_monitor(a.monitor_id))
