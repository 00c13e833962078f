"""The event sequencer beside a benchmark, as `doublex serve` runs it: a thread calling
ledger.sequence_events on the bench database at the service's cadence (doublex.sequencer),
recording each batch's lag. Used by compare_revisions.py (--sequence-events) and
events_overhead.py (make bench-events)."""

from __future__ import annotations

import statistics
import threading
import time

CADENCE = 0.2  # seconds: DOUBLEX_EVENTS_SECONDS's default


class Sequencer(threading.Thread):
    """ledger.sequence_events in a loop on the bench database (which each run drops and
    creates again: a lost connection is opened again). Records each batch's lag and events
    once the backlog of the database it connected to was drained (an idle turn, or a batch
    fresher than two cadences)."""

    def __init__(self, dsn: str) -> None:
        super().__init__(daemon=True)
        self.dsn = dsn
        self.halt = threading.Event()
        self.lags: list[float] = []
        self.events = 0

    def run(self) -> None:
        import psycopg  # the bench's venv has it; the base revision's runs never import this

        from doublex.sequencer import behind

        query = (
            "SELECT batch_id, events, extract(epoch FROM lag)::float8 FROM ledger.sequence_events()"
        )
        while not self.halt.is_set():
            drained = False
            try:
                with psycopg.connect(self.dsn, autocommit=True, connect_timeout=2) as conn:
                    while not self.halt.is_set():
                        row = conn.execute(query).fetchone()
                        assert row is not None
                        fresh = row[0] is None or not behind(float(row[2]), CADENCE)
                        if row[0] is not None and drained:
                            self.lags.append(float(row[2]))
                            self.events += int(row[1])
                        drained = drained or fresh
                        if fresh:
                            time.sleep(CADENCE)  # the service's cadence (doublex.sequencer)
            except psycopg.Error:
                time.sleep(0.2)  # being recreated, or not migrated yet

    def summary(self) -> str:
        if not self.lags:
            return "no batch sequenced under load"
        lags = sorted(self.lags)
        p95 = lags[min(len(lags) - 1, int(0.95 * len(lags)))]
        return (
            f"{self.events:,} events in {len(lags):,} batches; lag p50 "
            f"{statistics.median(lags) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {lags[-1] * 1000:.0f} ms"
        )
