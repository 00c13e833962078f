"""Reconciliation routes: a date's reconciliation as JSON or as the HTML report, and
/metrics with the recon mismatch counter refreshed from the database first."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from doublex import errors, metrics, recon_report
from doublex.api import payloads
from doublex.api.handlers import ledger, respond

LOG = logging.getLogger("doublex.api")
# The tenants whose reconciliation runs ledger_recon_mismatches_total adds up.
RECON_TENANTS: web.AppKey[list[str]] = web.AppKey("recon_tenants", list)
# /metrics answers without the recon counter's latest value rather than wait for a slow database.
MISMATCH_REFRESH_SECONDS = 2.0


async def _report(request: web.Request) -> recon_report.Report:
    query = request.query
    day = payloads.iso_date(query.get("date"), "date")
    if day is None:
        raise payloads.invalid("date", "required (YYYY-MM-DD)")
    account = query.get("account")
    if account == "":
        raise payloads.invalid("account", "empty; leave it out for every account")
    summaries, items = await ledger(request).recon_report(day, account)
    return recon_report.build(day, summaries, items)


async def recon_summary(request: web.Request) -> web.Response:
    """One account's reconciliation. Without `account`: the only account reconciled that
    date, or 422 naming the accounts when there were several (404 when there was none)."""
    report = await _report(request)
    if len(report.accounts) > 1:
        codes = ", ".join(a.summary["account"] for a in report.accounts)
        raise payloads.invalid(
            "account",
            f"{len(report.accounts)} accounts were reconciled on "
            f"{report.business_date.isoformat()} ({codes}); pass account=CODE for one of them",
        )
    return respond(recon_report.api_document(report.accounts[0]))


async def recon_html(request: web.Request) -> web.Response:
    report = await _report(request)
    return web.Response(text=recon_report.to_html(report), content_type="text/html")


async def refresh_recon_mismatches(request: web.Request) -> None:
    """Copy the cumulative exception counts of the run log into the exported counter; on a
    database failure keep the last value (or none) and still answer /metrics."""
    tenants: list[str] = request.app[RECON_TENANTS]
    try:
        totals = await asyncio.wait_for(
            ledger(request).recon_mismatch_totals(tenants),
            MISMATCH_REFRESH_SECONDS,
        )
    except (errors.LedgerError, TimeoutError) as exc:
        LOG.warning("recon mismatch counter not refreshed: %s", exc or type(exc).__name__)
        return
    metrics.RECON_MISMATCHES.update(totals)


async def metrics_page(request: web.Request) -> web.Response:
    """GET /metrics: every metric, with ledger_recon_mismatches_total read from the database."""
    await refresh_recon_mismatches(request)
    return await metrics.serve(request)
