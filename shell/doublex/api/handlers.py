"""Route handlers: call the ledger with the parsed arguments, answer. A few lines each; no
business rules (the ledger's) and no parsing (parse.arguments, from the models of args)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from doublex import __version__, errors, jsonio
from doublex.api import args
from doublex.api.parse import idempotency_key
from doublex.db import Ledger
from doublex.db.coalesce import Coalescer

LEDGER: web.AppKey[Ledger] = web.AppKey("ledger", Ledger)
# Transfers, reversals, holds and captures go through the request coalescer
# (doublex.db.coalesce; off: straight to LEDGER).
COALESCER: web.AppKey[Coalescer] = web.AppKey("coalescer", Coalescer)
MIGRATIONS: web.AppKey[list[str]] = web.AppKey("migrations", list)


def ledger(request: web.Request) -> Ledger:
    return request.app[LEDGER]


def respond(body: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, body=jsonio.dumps(body), content_type="application/json")


def page(
    items: list[dict[str, Any]], limit: int, cursor_of: str, continues: bool | None = None
) -> web.Response:
    """A page and the cursor of the next one: when the page is full, or when `continues`
    says so (a page the ledger stopped early)."""
    more = len(items) == limit if continues is None else continues
    next_cursor = items[-1][cursor_of] if more and items else None
    return respond({"items": items, "next_cursor": next_cursor})


def posting_status(result: dict[str, Any]) -> int:
    return 201 if result["status"] == "posted" else 200


async def health(request: web.Request, _: args.NoArgs) -> web.Response:
    try:
        report = await ledger(request).health()
    except errors.LedgerError as exc:
        unavailable = {
            "status": "unavailable",
            "version": __version__,
            # Reachable without the ledger's schema is not the same trouble as unreachable.
            "database": (
                "migrations pending" if isinstance(exc, errors.MigrationsPending) else "unreachable"
            ),
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


async def liveness(request: web.Request, _: args.NoArgs) -> web.Response:
    """GET /health: the process answers (the earlier API's liveness; no database call)."""
    return respond({"status": "ok", "version": __version__})


async def readiness(request: web.Request, _: args.NoArgs) -> web.Response:
    """GET /ready: 200 when the database answers and has every migration of this version,
    else 503 with what is missing."""
    try:
        applied = list((await ledger(request).health())["migrations"])
    except errors.LedgerError as exc:
        pending = request.app[MIGRATIONS] if isinstance(exc, errors.MigrationsPending) else []
        database = "migrations pending" if pending else "unreachable"
        return not_ready({"status": "not_ready", "database": database, "pending": pending})
    pending = [name for name in request.app[MIGRATIONS] if name not in applied]
    if pending:
        body = {"status": "not_ready", "database": "migrations pending", "pending": pending}
        return not_ready(body)
    return respond({"status": "ready", "database": "ok", "pending": []})


def not_ready(body: dict[str, Any]) -> web.Response:
    response = respond(body, 503)
    response.headers["Retry-After"] = "5"
    return response


async def trial_balance(request: web.Request, a: args.TrialBalanceArgs) -> web.Response:
    items, totals = await ledger(request).trial_balance(a.as_of, a.cursor or None, a.limit)
    next_cursor = items[-1]["code"] if len(items) == a.limit else None
    return respond({"as_of": a.as_of, "items": items, "next_cursor": next_cursor, "totals": totals})


async def create_account(request: web.Request, a: args.CreateAccountArgs) -> web.Response:
    body = a.body
    account = await ledger(request).create_account(
        body.code, body.name, body.ccy, body.type, body.allow_negative, body.metadata
    )
    return respond(account, 201)


async def list_accounts(request: web.Request, a: args.Page) -> web.Response:
    items = await ledger(request).list_accounts(a.cursor or None, a.limit)
    return page(items, a.limit, "code")


async def get_account(request: web.Request, a: args.AccountPath) -> web.Response:
    return respond(await ledger(request).get_account(a.code))


async def get_balance(request: web.Request, a: args.BalanceArgs) -> web.Response:
    return respond(await ledger(request).get_balance(a.code, a.as_of))


async def post_transfer(request: web.Request, a: args.TransferArgs) -> web.Response:
    key = idempotency_key(a.idempotency_key, a.body.idempotency_key)
    result = await request.app[COALESCER].post_journal(**a.body.journal(key))
    return respond(a.body.answer(result), posting_status(result))


async def post_transfer_batch(request: web.Request, a: args.BatchArgs) -> web.Response:
    return respond({"results": await ledger(request).post_journals(a.body.requests)})


async def list_journals(request: web.Request, a: args.JournalsArgs) -> web.Response:
    items = await ledger(request).list_journals(
        from_date=a.from_,
        to_date=a.to,
        account=a.account,
        after_cursor=a.cursor or None,
        page_size=a.limit,
    )
    continues = await ledger(request).journal_page_continues(items, a.limit)
    return page(items, a.limit, "cursor", continues)


async def get_journal(request: web.Request, a: args.JournalPath) -> web.Response:
    return respond(await ledger(request).get_journal(a.journal_id))


async def reverse_journal(request: web.Request, a: args.ReverseArgs) -> web.Response:
    key = idempotency_key(a.idempotency_key, a.body.idempotency_key)
    result = await request.app[COALESCER].reverse_journal(a.journal_id, key, a.body.memo)
    return respond(result, posting_status(result))
