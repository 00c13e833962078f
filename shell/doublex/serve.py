"""`doublex serve`: the REST service with its pool, its background roll-up, and a graceful
shutdown (aiohttp stops accepting, lets in-flight requests finish, then the pool closes)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from doublex import errors, logs, metrics, migrate, tracing
from doublex.api import create_app
from doublex.config import Settings
from doublex.db import Ledger, RetryPolicy

LOG = logging.getLogger("doublex.serve")


async def roll_up_forever(ledger: Ledger, tenants: list[str], every_seconds: float) -> None:
    """Keep balance reads short: fold settled legs every few seconds (sql/README.md)."""
    while True:
        await asyncio.sleep(every_seconds)
        for tenant in tenants:
            try:
                await ledger.roll_up_balances(tenant)
            except errors.LedgerError as exc:
                LOG.warning("roll-up failed: %s", exc.message, extra={"tenant": tenant})


def build_app(settings: Settings, app_dsn: str) -> web.Application:
    ledger = Ledger(
        app_dsn,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        retry=RetryPolicy(max_attempts=settings.max_retries),
        pool_timeout=settings.pool_timeout,
    )
    app = create_app(ledger, migrations=migrate.known(), max_body_bytes=settings.max_body_bytes)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        # Start even when the database is down: /api/health then answers 503.
        await ledger.open(wait=False)
        metrics.watch_pool(ledger.pool.get_stats)
        roll_up = asyncio.create_task(
            roll_up_forever(ledger, settings.tenants, settings.roll_up_seconds)
        )
        yield
        roll_up.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await roll_up
        await ledger.close()

    app.cleanup_ctx.append(lifecycle)
    return app


def run(settings: Settings, admin_dsn: str, app_dsn: str, host: str, port: int) -> None:
    logs.configure()
    if tracing.configure():
        LOG.info("tracing on: exporting spans over OTLP")
    if settings.migrate_on_start:
        report = migrate.apply(admin_dsn)
        LOG.info("migrations applied on start: %s", ", ".join(report.applied) or "none")
    web.run_app(
        build_app(settings, app_dsn),
        host=host,
        port=port,
        access_log=None,
        shutdown_timeout=settings.shutdown_seconds,
        print=lambda message: LOG.info(message.strip()),
    )
