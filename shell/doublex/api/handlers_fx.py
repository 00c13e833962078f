"""FX routes: rates, settlements, the position. Call the ledger with the parsed arguments."""

from __future__ import annotations

from aiohttp import web

from doublex.api import args
from doublex.api.handlers import ledger, posting_status, respond
from doublex.api.parse import idempotency_key


async def put_rate(request: web.Request, a: args.RateSetArgs) -> web.Response:
    body = a.body
    rate = await ledger(request).upsert_fx_rate(
        a.base, a.quote, body.rate, body.valid_on, body.source
    )
    return respond(rate)


async def get_rate(request: web.Request, a: args.RateArgs) -> web.Response:
    return respond(await ledger(request).fx_rate(a.base, a.quote, a.on))


async def post_transfer(request: web.Request, a: args.FxTransferArgs) -> web.Response:
    key = idempotency_key(a.idempotency_key, a.body.idempotency_key)
    result = await ledger(request).post_fx_transfer(**a.body.settlement(key))
    return respond(result, posting_status(result))


async def get_position(request: web.Request, a: args.PositionArgs) -> web.Response:
    items = await ledger(request).fx_position(a.as_of, a.reporting_ccy)
    return respond({"as_of": a.as_of, "reporting_ccy": a.reporting_ccy, "items": items})
