"""End-of-day routes: an account's balance history over closed dates, and the business
calendar (GET /api/eod). Closing stays a CLI and admin action: no route closes a date."""

from __future__ import annotations

from aiohttp import web

from doublex.api import payloads
from doublex.api.handlers import ledger, respond


async def get_history(request: web.Request) -> web.Response:
    query = request.query
    items = await ledger(request).balance_history(
        request.match_info["code"],
        from_date=payloads.iso_date(query.get("from"), "from"),
        to_date=payloads.iso_date(query.get("to"), "to"),
    )
    return respond({"items": items})


async def get_eod_status(request: web.Request) -> web.Response:
    return respond(await ledger(request).eod_status())
