"""Reconciliation routes: a date's reconciliation as JSON or as the HTML report."""

from __future__ import annotations

from aiohttp import web

from doublex import recon_report
from doublex.api import args
from doublex.api.handlers import ledger, respond
from doublex.api.parse import invalid


async def recon_summary(request: web.Request, a: args.ReconArgs) -> web.Response:
    """One account's reconciliation and a page of its exceptions. Without `account`: the
    only account reconciled that date, or 422 naming the accounts when there were several
    (404 when there was none)."""
    summaries, items = await ledger(request).recon_exceptions(
        a.business_date, a.account, a.cursor or None, a.limit
    )
    report = recon_report.build(a.business_date, summaries, items)
    if len(report.accounts) > 1:
        codes = ", ".join(account.summary["account"] for account in report.accounts)
        raise invalid(
            "account",
            f"{len(report.accounts)} accounts were reconciled on "
            f"{report.business_date.isoformat()} ({codes}); pass account=CODE for one of them",
        )
    next_cursor = items[-1]["cursor"] if len(items) == a.limit else None
    return respond(recon_report.api_document(report.accounts[0], next_cursor))


async def recon_html(request: web.Request, a: args.ReconPageArgs) -> web.Response:
    summaries, items = await ledger(request).recon_report(a.business_date, a.account)
    report = recon_report.build(a.business_date, summaries, items)
    return web.Response(text=recon_report.to_html(report), content_type="text/html")
