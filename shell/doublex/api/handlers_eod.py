"""End-of-day routes: an account's balance history over closed dates, its statement over
any period, and the business calendar (GET /api/eod). Closing stays a CLI and admin
action: no route closes a date."""

from __future__ import annotations

from aiohttp import web

from doublex.api import args
from doublex.api.handlers import ledger, respond


async def get_history(request: web.Request, a: args.HistoryArgs) -> web.Response:
    items = await ledger(request).balance_history(a.code, from_date=a.from_, to_date=a.to)
    return respond({"items": items})


async def get_statement(request: web.Request, a: args.StatementArgs) -> web.Response:
    items = await ledger(request).account_statement(
        a.code, a.from_, a.to, after_cursor=a.cursor or None, page_size=a.limit
    )
    closed = bool(items) and items[-1]["kind"] == "closing"
    return respond({"items": items, "next_cursor": None if closed else items[-1]["cursor"]})


async def get_eod_status(request: web.Request, _: args.NoArgs) -> web.Response:
    return respond(await ledger(request).eod_status())
