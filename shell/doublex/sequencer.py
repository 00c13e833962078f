"""The event sequencer's loop: `doublex serve` runs it in the background, `doublex events
pump` in the foreground. Each turn is one `ledger.sequence_events()` transaction (one PgQ
batch into the event log, sql/README.md "Events"). The loop keeps a cadence of
`every_seconds`: a turn waits that long after an idle turn and after a fresh batch, so a
busy ledger's events go in batches of that much traffic instead of a transaction per
handful of postings (each turn costs a tick, a batch and a commit: at 1,500 postings/s,
turning without a pause took a fifth of the posting throughput, bench/README.md). A batch
whose oldest event waited longer than two cadences means a backlog (after downtime, or a
slow turn): the next turn follows at once until it drains. Each turn records
ledger_events_total{type}, the sequencer lag gauge and the runs by outcome."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from doublex import errors, metrics
from doublex.db import Ledger
from doublex.db.runner import Row

LOG = logging.getLogger("doublex.sequencer")


async def turn(ledger: Ledger) -> Row:
    """One sequencer transaction, recorded in the metrics."""
    try:
        result = await ledger.sequence_events()
    except errors.LedgerError:
        metrics.EVENT_SEQUENCER_RUNS.labels(outcome="failed").inc()
        raise
    if result["batch_id"] is None:
        metrics.EVENT_SEQUENCER_RUNS.labels(outcome="idle").inc()
        metrics.EVENT_SEQUENCER_LAG.set(0)
        return result
    metrics.EVENT_SEQUENCER_RUNS.labels(outcome="batch").inc()
    for event_type, count in result["by_type"].items():
        metrics.EVENTS.labels(type=event_type).inc(count)
    metrics.EVENT_SEQUENCER_LAG.set(result["lag"].total_seconds())
    return result


def behind(lag_seconds: float, every_seconds: float) -> bool:
    """Whether a batch this old means a backlog, which the next turn drains at once."""
    return lag_seconds > 2 * every_seconds


async def pump(
    ledger: Ledger,
    every_seconds: float,
    *,
    once: bool = False,
    on_batch: Callable[[Row], None] | None = None,
) -> int:
    """Sequence until stopped (cancel the task), or with `once` until nothing is new; a
    failed turn is logged and retried after `every_seconds`. Answers how many events."""
    moved = 0
    while True:
        try:
            result = await turn(ledger)
        except errors.LedgerError as exc:
            LOG.warning("event sequencing failed: %s", exc.message)
            if once:
                raise
            await asyncio.sleep(every_seconds)
            continue
        if result["batch_id"] is not None:
            moved += result["events"]
            if on_batch is not None:
                on_batch(result)
            if once or behind(result["lag"].total_seconds(), every_seconds):
                continue
        elif once:
            return moved
        await asyncio.sleep(every_seconds)
