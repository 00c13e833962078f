"""The event log: read it, follow it, and run the sequencer by hand.

doublex events tail                          # the log from the start, then stop
doublex events tail --after 1041 --types journal.posted,hold.created
doublex events tail --follow --json          # one JSON object per line, as events arrive
doublex events pump --once                   # sequence what is queued, then stop
doublex events pump                          # sequence until Ctrl-C (what `serve` does)
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import click

from doublex import config, jsonio, sequencer
from doublex.cells import cell
from doublex.cli.common import book_options, with_ledger
from doublex.cli.root import main
from doublex.db import Ledger
from doublex.db.runner import Row

TAIL_PAGE = 100


@main.group()
def events() -> None:
    """The event log (every committed change, in commit order)."""


def _line(event: Row, as_json: bool) -> str:
    if as_json:
        return jsonio.dumps(dict(event)).decode()
    payload = jsonio.dumps(event["payload"]).decode()
    return "  ".join(
        [str(event["position"]), cell(event["occurred_at"]), event["type"], event["actor"], payload]
    )


@events.command("tail")
@click.option("--after", default=0, show_default=True, type=int, help="Start after this position.")
@click.option("--types", default=None, help="Comma-separated event types (default: every type).")
@click.option("--follow", is_flag=True, help="Keep waiting for new events (Ctrl-C stops).")
@click.option(
    "--every", default=0.5, show_default=True, type=float, help="Seconds between polls (--follow)."
)
@book_options
def tail(
    after: int, types: str | None, follow: bool, every: float, tenant: str, as_json: bool
) -> None:
    """Print the tenant's events after a position, one per line: position, time, type, actor,
    payload (or --json: one JSON object per line)."""
    wanted = None if types is None else types.split(",")

    async def read(ledger: Ledger) -> None:
        position = after
        while True:
            page = await ledger.list_events(position, wanted, TAIL_PAGE, tenant)
            for event in page:
                click.echo(_line(event, as_json))
                position = event["position"]
            if len(page) == TAIL_PAGE:
                continue
            if not follow:
                return
            await asyncio.sleep(every)

    with contextlib.suppress(KeyboardInterrupt):
        with_ledger(read)


@events.command("pump")
@click.option("--once", is_flag=True, help="Sequence what is queued now, then stop.")
@click.option(
    "--every",
    default=None,
    type=float,
    help="Seconds between looks when idle (default: DOUBLEX_EVENTS_SECONDS).",
)
def pump(once: bool, every: float | None) -> None:
    """Run the sequencer (ledger.sequence_events): queued events get their positions, one
    PgQ batch per transaction. `doublex serve` runs it in the background; run this where
    no service runs, or to catch up by hand."""
    interval = every if every is not None else config.load().events_seconds

    def report(result: dict[str, Any] | Row) -> None:
        kinds = ", ".join(f"{name} {count}" for name, count in sorted(result["by_type"].items()))
        lag = result["lag"].total_seconds()
        click.echo(
            f"batch {result['batch_id']}: {result['events']} event(s) ({kinds}); lag {lag:.3f}s"
        )

    with contextlib.suppress(KeyboardInterrupt):
        moved = with_ledger(
            lambda ledger: sequencer.pump(ledger, interval, once=once, on_batch=report)
        )
        click.echo(f"{moved} event(s) sequenced")
