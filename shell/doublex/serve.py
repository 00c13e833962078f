"""`doublex serve`: the REST service with its pool, its background roll-up, hold expiry
sweep, event sequencer and webhook delivery worker, and a graceful shutdown (aiohttp
stops accepting, lets in-flight requests finish, then the pool closes).

`--workers N` (N > 1) runs N worker processes that share the port (SO_REUSEPORT: the kernel
spreads connections over them), each with its own pool, under a small supervisor that
migrates once (MIGRATE_ON_START), passes SIGTERM/SIGINT on, and stops every worker when one
dies. Metrics are summed over the workers (see doublex.metrics).

The service connects only as the service role (DOUBLEX_SERVICE_DSN): per transaction it acts
as doublex_api for the request's key (doublex.db.runner), and its housekeeping (the
roll-up, the event sequencer, the webhook deliveries, the /metrics refresh) runs as itself
with no key. The admin DSN is used only by MIGRATE_ON_START, whose connection is closed
before the service listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from types import FrameType
from typing import Any

import psycopg
from aiohttp import web

from doublex import errors, logs, metrics, migrate, sequencer, tracing, webhooks
from doublex.api import create_app
from doublex.api.handlers_events import StreamLimits
from doublex.api.site import ClientConnections, GuardedSite
from doublex.config import API_ROLE, OWNER_ROLE, SERVICE_ROLE, Settings, WebhookSettings
from doublex.db import Ledger, RetryPolicy

LOG = logging.getLogger("doublex.serve")


async def roll_up_forever(ledger: Ledger, tenants: list[str], every_seconds: float) -> None:
    """Keep balance reads short: fold settled legs every few seconds (sql/README.md), for
    each tenant, as the service's housekeeping (no key)."""
    while True:
        await asyncio.sleep(every_seconds)
        for tenant in tenants:
            try:
                await ledger.roll_up_balances(tenant)
            except errors.LedgerError as exc:
                LOG.warning("roll-up failed: %s", exc.message, extra={"tenant": tenant})


async def sweep_holds_forever(ledger: Ledger, every_seconds: float) -> None:
    """Mark the holds past their expiry in every tenant (ledger.sweep_expired_holds), as the
    service's housekeeping (no key); counted in ledger_holds_total{status="expired"}. A hold
    past its expiry is released for every balance whether or not this ran."""
    while True:
        await asyncio.sleep(every_seconds)
        try:
            marked = await ledger.sweep_expired_holds()
        except errors.LedgerError as exc:
            LOG.warning("hold sweep failed: %s", exc.message)
        else:
            for tenant, count in marked.items():
                LOG.info("marked %s expired hold(s)", count, extra={"tenant": tenant})


async def prune_demo_forever(ledger: Ledger, max_age_hours: float, every_seconds: float) -> None:
    """Archive the live page's demo tenants older than `max_age_hours` (their keys revoked,
    ledger.prune_demo_tenants), as the service's housekeeping (no key)."""
    while True:
        try:
            archived = await ledger.prune_demo_tenants(timedelta(hours=max_age_hours))
        except errors.LedgerError as exc:
            LOG.warning("demo prune failed: %s", exc.message)
        else:
            if archived:
                LOG.info("archived %s demo tenants", archived)
        await asyncio.sleep(every_seconds)


async def refresh_pool_gauges_forever(every_seconds: float = 1.0) -> None:
    """Multi-worker mode: keep this worker's share of the summed pool gauges current."""
    while True:
        metrics.refresh_pool_gauges()
        await asyncio.sleep(every_seconds)


def service_ledger(settings: Settings, service_dsn: str) -> Ledger:
    """The service's pool: the service role, acting as doublex_api for each request's key."""
    return Ledger(
        service_dsn,
        min_size=settings.pool_min,
        max_size=settings.pool_max,
        retry=RetryPolicy(max_attempts=settings.max_retries),
        pool_timeout=settings.pool_timeout,
        act_as=API_ROLE,
    )


def build_app(settings: Settings, service_dsn: str) -> web.Application:
    ledger = service_ledger(settings, service_dsn)
    app = create_app(
        ledger,
        migrations=migrate.known(),
        max_body_bytes=settings.max_body_bytes,
        tenants=settings.tenants,
        body_timeout=settings.body_timeout,
        request_deadline=settings.request_deadline,
        metrics_public=settings.metrics_public,
        key_rate_seconds=settings.key_rate_seconds,
        demo=settings.demo,
        coalesce=settings.coalesce,
        event_stream=StreamLimits(
            settings.sse_poll_seconds, settings.sse_ping_seconds, settings.sse_max_seconds
        ),
    )

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        # Start even when the database is down: /api/health then answers 503.
        await ledger.open(wait=False)
        metrics.watch_pool(ledger.pool.get_stats)
        # The webhook worker (doublex.webhooks): idle endpoints look as soon as the
        # sequencer moved a batch.
        deliverer = webhooks.Deliverer(ledger, settings.webhooks)
        tasks: list[asyncio.Task[Any]] = [
            asyncio.create_task(
                roll_up_forever(ledger, settings.tenants, settings.roll_up_seconds)
            ),
        ]
        # The event sequencer (doublex.sequencer): queued events get their positions. Off
        # (0) for a service on the shard proxy: each shard runs its own (README, "Sharding").
        if settings.events_seconds > 0:
            tasks.append(
                asyncio.create_task(
                    sequencer.pump(ledger, settings.events_seconds, on_batch=deliverer.wake)
                )
            )
        if settings.hold_sweep_seconds > 0:
            tasks.append(
                asyncio.create_task(sweep_holds_forever(ledger, settings.hold_sweep_seconds))
            )
        if settings.webhooks.enabled:
            tasks.append(asyncio.create_task(deliverer.run()))
        if settings.demo:
            tasks.append(
                asyncio.create_task(
                    prune_demo_forever(
                        ledger, settings.demo_max_age_hours, settings.demo_prune_seconds
                    )
                )
            )
        if metrics.multiprocess_dir():
            tasks.append(asyncio.create_task(refresh_pool_gauges_forever()))
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await ledger.close()

    app.cleanup_ctx.append(lifecycle)
    return app


def migrate_first(admin_dsn: str | None) -> None:
    """MIGRATE_ON_START: apply the migrations with the admin DSN; migrate.apply closes its
    connection before returning, so the service never listens holding it."""
    if admin_dsn is None:
        return
    report = migrate.apply(admin_dsn)
    LOG.info("migrations applied on start: %s", ", ".join(report.applied) or "none")


def run(
    settings: Settings,
    service_dsn: str,
    host: str,
    port: int,
    *,
    admin_dsn: str | None = None,
    workers: int = 1,
    reuse_port: bool = False,
) -> None:
    """Serve on `service_dsn`; `admin_dsn` (MIGRATE_ON_START only) migrates first."""
    logs.configure()
    if workers > 1:
        sys.exit(supervise(settings, service_dsn, host, port, workers, admin_dsn))
    if tracing.configure():
        LOG.info("tracing on: exporting spans over OTLP")
    migrate_first(admin_dsn)
    refuse_privileged_role(service_dsn)
    refuse_pending_migrations(service_dsn)
    asyncio.run(serve_app(build_app(settings, service_dsn), settings, host, port, reuse_port))


async def serve_app(
    app: web.Application, settings: Settings, host: str, port: int, reuse_port: bool
) -> None:
    """Serve until SIGTERM or SIGINT, then shut down gracefully (in-flight requests finish
    within DOUBLEX_SHUTDOWN_SECONDS). A connection must send complete headers within
    DOUBLEX_HEADER_TIMEOUT of opening (or of its previous answer): aiohttp's keep-alive
    timer is armed from the moment a connection opens and closes it when no request has
    arrived. `GuardedSite` caps the connections per client address."""
    runner = web.AppRunner(
        app,
        access_log=None,
        keepalive_timeout=settings.header_timeout,
        shutdown_timeout=settings.shutdown_seconds,
    )
    await runner.setup()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    try:
        site = GuardedSite(
            runner,
            host,
            port,
            clients=ClientConnections(settings.connections_per_client),
            reuse_port=reuse_port or None,
        )
        await site.start()
        settle_garbage_collector()
        LOG.info("serving on %s", site.name)
        await stopping.wait()
    finally:
        await runner.cleanup()


def settle_garbage_collector() -> None:
    """Keep the cycle collector off the request path. Python's default runs a young
    collection every 700 allocations, and every request allocates thousands of objects
    (parsing, futures, spans), almost all freed by reference counting; py-spy put that
    collector at a tenth of the service's CPU under load. So: move what start-up built
    (modules, the app, the pool) out of the collector's sight for good (`gc.freeze`), and
    collect young objects every 50,000 allocations instead: cycles are still collected,
    a few hundred requests later."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


# Whether the login may do more than the service needs: a superuser, or a member of the
# ledger's owner (the admin branch of ledger_private.authorize).
PRIVILEGED = (
    "SELECT r.rolsuper OR coalesce((SELECT pg_has_role(session_user, o.oid, 'MEMBER')"
    " FROM pg_catalog.pg_roles AS o WHERE o.rolname = %s), false)"
    " FROM pg_catalog.pg_roles AS r WHERE r.rolname = session_user"
)


def refuse_privileged_role(service_dsn: str) -> None:
    """Exit when DOUBLEX_SERVICE_DSN logs in as a superuser or a member of doublex_owner:
    its calls without a key would be the admin's, and it could leave doublex_api and write
    any table, so the wall between tenants would be the service's code again. A database
    that cannot be reached is served anyway (as refuse_pending_migrations does)."""
    try:
        with psycopg.connect(service_dsn) as conn:
            row = conn.execute(PRIVILEGED, [OWNER_ROLE]).fetchone()
            login = conn.info.user
    except psycopg.Error as exc:
        LOG.warning("cannot check the service role, the database is unreachable: %s", exc)
        return
    if row is not None and row[0]:
        raise SystemExit(
            f"doublex serve: DOUBLEX_SERVICE_DSN logs in as {login}, a superuser or member of "
            f"{OWNER_ROLE}; the service must connect as {SERVICE_ROLE}, which acts only "
            "for each request's key"
        )


def refuse_pending_migrations(service_dsn: str) -> None:
    """Exit, naming `doublex migrate`, when the database has pending migrations: serving an
    older schema would answer every request with an error. Asked with the service's own
    role, as /api/health asks (ledger.health lists what is applied); a database without the
    ledger's schema has every migration pending. A database that cannot be reached is
    served anyway (/api/health answers 503 until it is back)."""
    try:
        with psycopg.connect(service_dsn) as conn:
            conn.execute("SELECT set_config('role', %s, true)", [API_ROLE])
            row = conn.execute("SELECT migrations FROM ledger.health()").fetchone()
            applied = list(row[0]) if row else []
    except (psycopg.errors.InvalidSchemaName, psycopg.errors.UndefinedFunction):
        applied = []
    except psycopg.Error as exc:
        LOG.warning("cannot check migrations, the database is unreachable: %s", exc)
        return
    pending = [name for name in migrate.known() if name not in applied]
    if pending:
        raise SystemExit(
            f"doublex serve: the database has {len(pending)} pending migration(s) "
            f"({', '.join(pending)}); run `doublex migrate` first (or set MIGRATE_ON_START=1)"
        )


def settings_env(settings: Settings) -> dict[str, str]:
    """The variables (doublex.config) that make a worker load these same settings."""
    return {
        "DOUBLEX_POOL_MIN": str(settings.pool_min),
        "DOUBLEX_POOL_MAX": str(settings.pool_max),
        "DOUBLEX_POOL_TIMEOUT": str(settings.pool_timeout),
        "DOUBLEX_MAX_RETRIES": str(settings.max_retries),
        "DOUBLEX_MAX_BODY_BYTES": str(settings.max_body_bytes),
        "DOUBLEX_ROLLUP_SECONDS": str(settings.roll_up_seconds),
        "DOUBLEX_TENANTS": ",".join(settings.tenants),
        "DOUBLEX_SHUTDOWN_SECONDS": str(settings.shutdown_seconds),
        "DOUBLEX_REQUEST_DEADLINE": str(settings.request_deadline),
        "DOUBLEX_HEADER_TIMEOUT": str(settings.header_timeout),
        "DOUBLEX_BODY_TIMEOUT": str(settings.body_timeout),
        "DOUBLEX_CONNECTIONS_PER_CLIENT": str(settings.connections_per_client),
        "DOUBLEX_KEY_RATE_SECONDS": str(settings.key_rate_seconds),
        "DOUBLEX_METRICS_PUBLIC": "1" if settings.metrics_public else "",
        "DOUBLEX_DEMO": "on" if settings.demo else "off",
        "DOUBLEX_DEMO_MAX_AGE_HOURS": str(settings.demo_max_age_hours),
        "DOUBLEX_DEMO_PRUNE_SECONDS": str(settings.demo_prune_seconds),
        "DOUBLEX_HOLD_SWEEP_SECONDS": str(settings.hold_sweep_seconds),
        "DOUBLEX_EVENTS_SECONDS": str(settings.events_seconds),
        "DOUBLEX_SSE_POLL_SECONDS": str(settings.sse_poll_seconds),
        "DOUBLEX_SSE_PING_SECONDS": str(settings.sse_ping_seconds),
        "DOUBLEX_SSE_MAX_SECONDS": str(settings.sse_max_seconds),
        **webhook_env(settings.webhooks),
    }


def webhook_env(hooks: WebhookSettings) -> dict[str, str]:
    """The webhook worker's settings as the environment that gives them."""
    return {
        "DOUBLEX_WEBHOOKS": "on" if hooks.enabled else "off",
        "DOUBLEX_WEBHOOK_PAGE_SIZE": str(hooks.page_size),
        "DOUBLEX_WEBHOOK_CONCURRENCY": str(hooks.concurrency),
        "DOUBLEX_WEBHOOK_TIMEOUT_SECONDS": str(hooks.timeout_seconds),
        "DOUBLEX_WEBHOOK_LEASE_SECONDS": str(hooks.lease_seconds),
        "DOUBLEX_WEBHOOK_POLL_SECONDS": str(hooks.poll_seconds),
        "DOUBLEX_WEBHOOK_ENDPOINTS_SECONDS": str(hooks.endpoints_seconds),
        "DOUBLEX_WEBHOOK_RETRY_BASE_SECONDS": str(hooks.retry_base_seconds),
        "DOUBLEX_WEBHOOK_RETRY_CAP_SECONDS": str(hooks.retry_cap_seconds),
        "DOUBLEX_WEBHOOK_GIVE_UP_SECONDS": str(hooks.give_up_seconds),
        "DOUBLEX_WEBHOOK_ALLOW_PRIVATE": "1" if hooks.allow_private else "",
    }


def supervise(
    settings: Settings,
    service_dsn: str,
    host: str,
    port: int,
    workers: int,
    admin_dsn: str | None = None,
) -> int:
    """Run `workers` copies of the service on one port; the exit status of the first failure.
    The workers get the service DSN only."""
    migrate_first(admin_dsn)
    refuse_privileged_role(service_dsn)
    refuse_pending_migrations(service_dsn)
    shared = metrics.multiprocess_dir()
    metrics_dir = shared or tempfile.mkdtemp(prefix="doublex-metrics-")
    for stale in os.listdir(metrics_dir):  # counters of an earlier run must not add up
        if stale.endswith(".db"):
            os.unlink(os.path.join(metrics_dir, stale))
    env = (
        os.environ
        | settings_env(settings)
        | {
            metrics.MULTIPROCESS_ENV: metrics_dir,
            # the workers never start the local cluster, nor see the admin DSN
            "DOUBLEX_SERVICE_DSN": service_dsn,
        }
    )
    env.pop("MIGRATE_ON_START", None)
    env.pop("DOUBLEX_DSN", None)
    command = [sys.executable, "-m", "doublex.cli", "serve", "--host", host, "--port", str(port)]
    children = [subprocess.Popen([*command, "--reuse-port"], env=env) for _ in range(workers)]
    LOG.info("serving on http://%s:%s with %s workers", host, port, workers)
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    status = 0
    try:
        while any(child.poll() is None for child in children):
            for child in children:
                code = child.poll()
                if code is not None and not stopping:
                    LOG.error("worker %s exited with %s; stopping the others", child.pid, code)
                    status = code if code > 0 else 128 - code if code < 0 else 1
                    stop(signal.SIGTERM, None)
            time.sleep(0.1)
    finally:
        for child in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=settings.shutdown_seconds + 5)
            if child.poll() is None:
                child.kill()
                child.wait()
            metrics.mark_worker_dead(child.pid, metrics_dir)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if not shared:
            shutil.rmtree(metrics_dir, ignore_errors=True)
    return status
