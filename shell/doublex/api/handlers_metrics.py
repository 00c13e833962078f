"""GET /metrics: every metric, with ledger_recon_mismatches_total read from the database."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from doublex import errors, metrics
from doublex.api import args
from doublex.api.handlers import ledger

LOG = logging.getLogger("doublex.api")
# The tenants whose reconciliation runs ledger_recon_mismatches_total adds up.
RECON_TENANTS: web.AppKey[list[str]] = web.AppKey("recon_tenants", list)
# /metrics answers without the recon counter's latest value rather than wait for a slow database.
MISMATCH_REFRESH_SECONDS = 2.0


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


async def metrics_page(request: web.Request, _: args.NoArgs) -> web.Response:
    """GET /metrics: every metric, with the recon counter refreshed from the database first."""
    await refresh_recon_mismatches(request)
    return await metrics.serve(request)
