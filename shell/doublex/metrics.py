"""Prometheus metrics. Their names are part of DoubleX's interface (README, "Observability").

`doublex serve --workers N` runs N processes behind one port; each keeps its metrics in
PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode, chosen by that variable
before this module is imported) and /metrics, whichever worker answers, reports the sum
over the workers. The pool gauges then add up the live workers' pools.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from doublex import config

if TYPE_CHECKING:
    from aiohttp import web

MULTIPROCESS_ENV = config.MULTIPROCESS_ENV


def multiprocess_dir() -> str | None:
    """The shared metrics folder of a multi-worker service, or None for one process."""
    return config.multiprocess_dir()


LATENCY_BUCKETS_MS = (0.5, 1, 2, 5, 10, 15, 25, 50, 100, 250, 500, 1000, 2500, 5000)

TRANSACTIONS = Counter(
    "ledger_tx",
    "Journal postings by outcome: posted, duplicate (idempotent replay) or rejected",
    ["status"],
)
POSTING_LATENCY = Histogram(
    "ledger_posting_latency_ms",
    "Time to post a journal, retries included, in milliseconds",
    buckets=LATENCY_BUCKETS_MS,
)
# Request coalescing (doublex.db.coalesce): requests per transaction the coalescer ran (1: a
# request that went alone), and how long each request waited for its batch, per operation
# (transfers, reversals, holds, captures).
COALESCE_BATCH_SIZE, COALESCE_WAIT = (
    Histogram(name, text, ["operation"], buckets=buckets)
    for name, text, buckets in (
        (
            "ledger_coalesce_batch_size",
            "Requests run by one transaction of the request coalescer (1: a lone request, sent"
            " as it came), by operation",
            (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000),
        ),
        (
            "ledger_coalesce_wait_ms",
            "Time a coalesced request waited for its batch to start, in milliseconds (0: it"
            " went at once), by operation",
            (0.1, 0.5, 1, 2, 5, 10, 15, 25, 50, 100, 250),
        ),
    )
)
GET_BALANCE_LATENCY = Histogram(
    "ledger_get_balance_latency_ms",
    "Time to read a balance, in milliseconds",
    buckets=LATENCY_BUCKETS_MS,
)
HOLDS = Counter(
    "ledger_holds",
    "Holds by outcome: created, duplicate (idempotent replay of a create, capture or void),"
    " captured, voided, expired (marked by the sweep) or rejected",
    ["status"],
)
SERIALIZATION_RETRIES = Counter(
    "ledger_serialization_retries",
    "Transactions retried after a serialization failure (40001) or deadlock (40P01)",
    ["sqlstate"],
)
HTTP_REQUESTS = Counter(
    "http_requests",
    "HTTP requests by method, route template and status",
    ["method", "route", "status"],
)
CONNECTIONS_REFUSED = Counter(
    "http_connections_refused",
    "Connections closed on accept: their client address already held the most allowed"
    " (DOUBLEX_CONNECTIONS_PER_CLIENT)",
)
RATE_LIMITED = Counter(
    "http_rate_limited",
    "Requests refused with 429 rate_limited: their API key was over its rate limit (never"
    ' a ledger call; http_requests_total{status="429"} has them by route)',
)
EVENTS = Counter(
    "ledger_events",
    "Events sequenced into the event log (ledger.sequence_events), by type",
    ["type"],
)
EVENT_SEQUENCER_LAG = Gauge(
    "ledger_event_sequencer_lag_seconds",
    "Age of the oldest event of the last batch the sequencer moved into the event log, when"
    " it moved it (0 when it found nothing new)",
    multiprocess_mode="max",
)
EVENT_SEQUENCER_RUNS = Counter(
    "ledger_event_sequencer_runs",
    "Sequencer runs by outcome: batch (moved one), idle (nothing new) or failed",
    ["outcome"],
)
WEBHOOK_DELIVERIES = Counter(
    "webhook_deliveries",
    "Webhook delivery attempts by outcome: delivered (2xx), failed (another status, a"
    " timeout, no connection: retried with backoff) or dead_letter (given up)",
    ["outcome"],
)
# Every outcome is exported from the start (0), so a rate of each exists before the first.
for _outcome in ("delivered", "failed", "dead_letter"):
    WEBHOOK_DELIVERIES.labels(outcome=_outcome)
WEBHOOK_LAG = Gauge(
    "webhook_delivery_lag_seconds",
    "Age of the oldest event some live webhook endpoint has not yet received (0: none"
    " waits), read every DOUBLEX_WEBHOOK_ENDPOINTS_SECONDS",
    multiprocess_mode="max",
)
WEBHOOK_DEAD_LETTERS = Counter(
    "webhook_dead_letters",
    "Events given up for an endpoint after it failed for DOUBLEX_WEBHOOK_GIVE_UP_SECONDS"
    " (24 h): GET /api/webhooks/{webhook_id}/deliveries?outcome=dead_letter lists them",
)
HTTP_LATENCY = Histogram(
    "http_request_duration_ms",
    "HTTP request duration by method and route template, in milliseconds",
    ["method", "route"],
    buckets=LATENCY_BUCKETS_MS,
)


RECON_KINDS = ("amount_mismatch", "missing_in_bank", "missing_in_ledger")


class ReconMismatchCollector(Collector):
    """ledger_recon_mismatches_total{kind}: the exceptions every reconciliation run produced.

    Runs are made by the CLI or by SQL callers, never by this process, so the count lives in
    the database (the append-only run log): /metrics reads it (ledger.recon_mismatch_totals)
    and `update` stores it here before the registry is rendered. The value is the database's
    total, the same whichever worker answers, so it is exported as is, never summed over
    workers. Until a first successful read the family has no samples."""

    def __init__(self) -> None:
        self.totals: dict[str, int] | None = None

    def update(self, totals: dict[str, int]) -> None:
        self.totals = {kind: int(totals.get(kind, 0)) for kind in RECON_KINDS}

    def collect(self) -> Iterable[CounterMetricFamily]:
        family = CounterMetricFamily(
            "ledger_recon_mismatches",
            "Reconciliation exceptions produced by every run, by kind (from the run log)",
            labels=["kind"],
        )
        for kind, total in (self.totals or {}).items():
            family.add_metric([kind], total)
        yield family


RECON_MISMATCHES = ReconMismatchCollector()
REGISTRY.register(RECON_MISMATCHES)


POOL_GAUGES = (
    ("pool_size", "db_pool_size", "Connections the pool holds (busy and idle)"),
    ("pool_available", "db_pool_available", "Idle connections ready for use"),
    ("requests_waiting", "db_pool_waiting", "Requests waiting for a connection"),
    ("pool_max", "db_pool_max", "Most connections the pool may open"),
)


class PoolCollector(Collector):
    """Connection pool gauges read at scrape time from psycopg_pool's statistics."""

    def __init__(self, stats: Callable[[], dict[str, int]]) -> None:
        self._stats = stats

    def collect(self) -> Iterable[GaugeMetricFamily]:
        stats = self._stats()
        for key, name, doc in POOL_GAUGES:
            yield GaugeMetricFamily(name, doc, value=stats.get(key, 0))


_pool_collector: PoolCollector | None = None
_pool_stats: Callable[[], dict[str, int]] | None = None
# Multi-worker mode: the same gauges as files, summed over the live workers at scrape time.
# Not registered in REGISTRY (where PoolCollector owns these names); the files are the store.
_shared_pool_gauges: dict[str, Gauge] = (
    {
        key: Gauge(name, doc, registry=None, multiprocess_mode="livesum")
        for key, name, doc in POOL_GAUGES
    }
    if multiprocess_dir()
    else {}
)


def watch_pool(stats: Callable[[], dict[str, int]]) -> None:
    """Export the pool gauges of the running service (replacing a previous pool's)."""
    global _pool_collector, _pool_stats
    _pool_stats = stats
    if _shared_pool_gauges:
        refresh_pool_gauges()
        return
    if _pool_collector is not None:
        REGISTRY.unregister(_pool_collector)
    _pool_collector = PoolCollector(stats)
    REGISTRY.register(_pool_collector)


def refresh_pool_gauges() -> None:
    """Multi-worker mode: copy this worker's pool statistics into the shared gauges."""
    if _pool_stats is None or not _shared_pool_gauges:
        return
    stats = _pool_stats()
    for key, gauge in _shared_pool_gauges.items():
        gauge.set(stats.get(key, 0))


def exposition() -> bytes:
    """Every metric in the Prometheus text format: this process's, or all workers' summed."""
    if multiprocess_dir():
        refresh_pool_gauges()
    return generate_latest(_registry())


def _registry() -> CollectorRegistry:
    """This process's registry, or one that sums every worker's (multiprocess mode)."""
    if not multiprocess_dir():
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    registry.register(RECON_MISMATCHES)
    return registry


def figures() -> dict[str, Any]:
    """The few figures the live page shows, read from the same registry /metrics renders:
    postings by outcome, serialization retries and their rate per posting, the 95th
    percentile of the posting latency (the upper bound of the histogram bucket that holds
    it, as Prometheus' histogram_quantile would bound it; None before any posting) and the
    reconciliation exceptions (None until /metrics or the page read them)."""
    samples: dict[str, float] = {}
    buckets: list[tuple[float, float]] = []
    for family in _registry().collect():
        for sample in family.samples:
            if sample.name == "ledger_tx_total":
                status = sample.labels["status"]
                samples[status] = samples.get(status, 0) + sample.value
            elif sample.name == "ledger_serialization_retries_total":
                samples["retries"] = samples.get("retries", 0) + sample.value
            elif sample.name == "ledger_posting_latency_ms_bucket":
                buckets.append((float(sample.labels["le"]), sample.value))
    outcomes = ("posted", "duplicate", "rejected")
    postings = {status: int(samples.get(status, 0)) for status in outcomes}
    attempts = sum(postings.values())
    buckets.sort()
    count = buckets[-1][1] if buckets else 0
    p95 = next((le for le, seen in buckets if seen >= 0.95 * count), None) if count else None
    retries = int(samples.get("retries", 0))
    return {
        "postings": postings,
        "retries": retries,
        "retry_rate": round(retries / attempts, 4) if attempts else 0.0,
        "posting_p95_ms": p95,
        "recon_exceptions": (
            sum(RECON_MISMATCHES.totals.values()) if RECON_MISMATCHES.totals is not None else None
        ),
    }


async def serve(request: web.Request) -> web.Response:
    """GET /metrics in the Prometheus text format."""
    from aiohttp import web  # the service's; the CLI counts without it

    return web.Response(body=exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def mark_worker_dead(pid: int, path: str) -> None:
    """Drop a stopped worker's live gauges (its counters keep counting in the sums)."""
    multiprocess.mark_process_dead(pid, path)  # type: ignore[no-untyped-call]
