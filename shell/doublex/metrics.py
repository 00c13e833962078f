"""Prometheus metrics. Their names are part of DoubleX's interface (DESIGN.md §9)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

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
GET_BALANCE_LATENCY = Histogram(
    "ledger_get_balance_latency_ms",
    "Time to read a balance, in milliseconds",
    buckets=LATENCY_BUCKETS_MS,
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
HTTP_LATENCY = Histogram(
    "http_request_duration_ms",
    "HTTP request duration by method and route template, in milliseconds",
    ["method", "route"],
    buckets=LATENCY_BUCKETS_MS,
)


class PoolCollector(Collector):
    """Connection pool gauges read at scrape time from psycopg_pool's statistics."""

    def __init__(self, stats: Callable[[], dict[str, int]]) -> None:
        self._stats = stats

    def collect(self) -> Iterable[GaugeMetricFamily]:
        stats = self._stats()
        for key, name, doc in (
            ("pool_size", "db_pool_size", "Connections the pool holds (busy and idle)"),
            ("pool_available", "db_pool_available", "Idle connections ready for use"),
            ("requests_waiting", "db_pool_waiting", "Requests waiting for a connection"),
            ("pool_max", "db_pool_max", "Most connections the pool may open"),
        ):
            yield GaugeMetricFamily(name, doc, value=stats.get(key, 0))


_pool_collector: PoolCollector | None = None


def watch_pool(stats: Callable[[], dict[str, int]]) -> None:
    """Export the pool gauges of the running service (replacing a previous pool's)."""
    global _pool_collector
    if _pool_collector is not None:
        REGISTRY.unregister(_pool_collector)
    _pool_collector = PoolCollector(stats)
    REGISTRY.register(_pool_collector)


async def serve(request: web.Request) -> web.Response:
    """GET /metrics in the Prometheus text format."""
    return web.Response(
        body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
    )
