"""Route handlers: parse, call the ledger, answer. A few lines each; no business rules."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from doublex import __version__, errors, jsonio
from doublex.api import payloads
from doublex.db import Ledger

LEDGER: web.AppKey[Ledger] = web.AppKey("ledger", Ledger)
MIGRATIONS: web.AppKey[list[str]] = web.AppKey("migrations", list)


def ledger(request: web.Request) -> Ledger:
    return request.app[LEDGER]


def respond(body: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=jsonio.dumps(body), content_type="application/json")


def page(items: list[dict[str, Any]], limit: int, cursor_of: str) -> web.Response:
    next_cursor = items[-1][cursor_of] if len(items) == limit else None
    return respond({"items": items, "next_cursor": next_cursor})


def posting_status(result: dict[str, Any]) -> int:
    return 201 if result["status"] == "posted" else 200


async def health(request: web.Request) -> web.Response:
    try:
        report = await ledger(request).health()
    except errors.LedgerError:
        unavailable = {
            "status": "unavailable",
            "version": __version__,
            "database": "unreachable",
            "migrations": None,
        }
        response = respond(unavailable, 503)
        response.headers["Retry-After"] = "5"
        return response
    expected = request.app[MIGRATIONS]
    applied = list(report["migrations"])
    pending = [name for name in expected if name not in applied]
    return respond(
        {
            "status": "ok" if not pending else "degraded",
            "version": __version__,
            "database": "ok",
            "migrations": {
                "applied": len(applied),
                "latest": applied[-1] if applied else None,
                "pending": pending,
            },
        }
    )


async def create_account(request: web.Request) -> web.Response:
    body = await payloads.json_object(request)
    account = await ledger(request).create_account(
        code=payloads.text(body, "code", required=True) or "",
        name=payloads.text(body, "name", required=True) or "",
        ccy=payloads.text(body, "ccy", required=True) or "",
        type=payloads.text(body, "type", default="asset"),
        allow_negative=payloads.flag(body, "allow_negative", True),
        metadata=payloads.json_object_field(body, "metadata"),
    )
    return respond(account, 201)


async def list_accounts(request: web.Request) -> web.Response:
    limit = payloads.page_size(request.query)
    items = await ledger(request).list_accounts(request.query.get("cursor") or None, limit)
    return page(items, limit, "code")


async def get_account(request: web.Request) -> web.Response:
    return respond(await ledger(request).get_account(request.match_info["code"]))


async def get_balance(request: web.Request) -> web.Response:
    as_of = payloads.iso_date(request.query.get("as_of"), "as_of")
    return respond(await ledger(request).get_balance(request.match_info["code"], as_of))


async def post_transfer(request: web.Request) -> web.Response:
    body = await payloads.json_object(request)
    result = await ledger(request).post_journal(**payloads.transfer(request, body))
    return respond(result, posting_status(result))


async def post_transfer_batch(request: web.Request) -> web.Response:
    body = await payloads.json_object(request)
    results = await ledger(request).post_journals(body.get("requests"))
    return respond({"results": results})


async def list_journals(request: web.Request) -> web.Response:
    query = request.query
    limit = payloads.page_size(query)
    items = await ledger(request).list_journals(
        from_date=payloads.iso_date(query.get("from"), "from"),
        to_date=payloads.iso_date(query.get("to"), "to"),
        account=query.get("account"),
        after_cursor=query.get("cursor") or None,
        page_size=limit,
    )
    return page(items, limit, "cursor")


async def get_journal(request: web.Request) -> web.Response:
    return respond(await ledger(request).get_journal(payloads.journal_id(request)))


async def reverse_journal(request: web.Request) -> web.Response:
    body = await payloads.json_object(request)
    result = await ledger(request).reverse_journal(
        payloads.journal_id(request),
        payloads.idempotency_key(request, body),
        payloads.text(body, "memo"),
    )
    return respond(result, posting_status(result))
