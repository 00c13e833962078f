"""Route handlers of holds and account limits: call the ledger, answer (a few lines each)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from doublex.api import args
from doublex.api.handlers import COALESCER, ledger, page, respond
from doublex.api.parse import idempotency_key

# A first answer that made something (a hold, a capture's journal) is 201; a void, and any
# replay (status duplicate), 200.
CREATED = frozenset({"pending", "captured"})


def created_or_ok(result: dict[str, Any]) -> web.Response:
    return respond(result, 201 if result["status"] in CREATED else 200)


async def create_hold(request: web.Request, a: args.HoldCreateArgs) -> web.Response:
    key = idempotency_key(a.idempotency_key, a.body.idempotency_key)
    return created_or_ok(await request.app[COALESCER].create_hold(**a.body.hold(key)))


async def get_hold(request: web.Request, a: args.HoldPath) -> web.Response:
    return respond(await ledger(request).get_hold(a.hold_id))


async def list_holds(request: web.Request, a: args.HoldsArgs) -> web.Response:
    items = await ledger(request).list_holds(a.account, a.status, a.cursor, a.limit)
    return page(items, a.limit, "hold_id")


async def capture_hold(request: web.Request, a: args.HoldCaptureArgs) -> web.Response:
    key = idempotency_key(a.idempotency_key, a.body.idempotency_key)
    body = a.body
    capture = request.app[COALESCER].capture_hold(
        a.hold_id, key, body.amounts, body.effective_date, body.conditions
    )
    return created_or_ok(await capture)


async def void_hold(request: web.Request, a: args.HoldVoidArgs) -> web.Response:
    key = idempotency_key(a.idempotency_key, a.body.idempotency_key)
    return created_or_ok(await ledger(request).void_hold(a.hold_id, key))


async def set_limits(request: web.Request, a: args.LimitsArgs) -> web.Response:
    body = a.body
    return respond(
        await ledger(request).set_account_limits(a.code, body.min_balance, body.max_balance)
    )
