"""Prometheus metrics. Their names are part of DoubleX's interface (DESIGN.md §9)."""

from __future__ import annotations

from prometheus_client import Counter

SERIALIZATION_RETRIES = Counter(
    "ledger_serialization_retries",
    "Transactions retried after a serialization failure (40001) or deadlock (40P01)",
    ["sqlstate"],
)
