"""End of day: close business dates, see where the calendar stands, verify the seals.

doublex eod close                      # the latest date fully past the cut-off
doublex eod close --date 2026-11-20
doublex eod status
doublex eod verify                     # exit 2 when a closed date no longer matches
doublex eod settings --time-zone Europe/Berlin --cutoff 17:00
"""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import click

from doublex.cli.common import book_options, with_ledger
from doublex.cli.output import Column, emit_record, emit_rows, table
from doublex.cli.root import main
from doublex.db import Ledger

STATUS_FIELDS: list[Column] = [
    ("tenant", "tenant"),
    ("time_zone", "time zone"),
    ("cutoff", "cut-off"),
    ("business_date", "business date"),
    ("latest_closed_date", "closed through"),
    ("last_closed_at", "last close"),
    ("last_seal", "last seal"),
    ("open_dates", "open dates"),
    ("next_posting_date", "next posting date"),
]
CLOSE_FIELDS: list[Column] = [
    ("business_date", "business date"),
    ("closed_at", "closed at"),
    ("journals", "journals"),
    ("legs", "legs"),
    ("accounts", "snapshots"),
    ("seal", "seal"),
    ("previous_seal", "previous seal"),
]
TRIAL_COLUMNS: list[Column] = [
    ("ccy", "ccy"),
    ("debits", "day debits"),
    ("credits", "day credits"),
    ("total_debits", "total debits"),
    ("total_credits", "total credits"),
]
PROBLEM_COLUMNS: list[Column] = [
    ("business_date", "date"),
    ("problem", "problem"),
    ("stored_seal", "stored seal"),
    ("computed_seal", "computed seal"),
]
DATE = click.DateTime(formats=["%Y-%m-%d"])


@main.group()
def eod() -> None:
    """End of day: close business dates, status, seal verification, settings."""


def status_view(status: dict[str, Any]) -> dict[str, Any]:
    dates = status.get("open_dates") or []
    return {**status, "open_dates": ", ".join(d.isoformat() for d in dates) or "none"}


PHASES = {
    "fenced": "fenced",
    "read": "read the day",
    "snapshots": "snapshots written",
    "sealed": "sealed",
}


class Progress:
    """A click progress bar on stderr over a close's steps: the fence, then per date its
    phases (read, snapshots written, sealed), labelled with the date and the phase."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Any = None
        self.done = 0

    def __call__(self, event: dict[str, Any]) -> None:
        if self.quiet:
            return
        total = int(event.get("total") or 0)
        if self.bar is None and total:
            self.bar = click.progressbar(
                length=total, label="closing", file=sys.stderr, show_pos=True
            ).__enter__()
        done = int(event.get("done") or 0)
        if self.bar is not None and done > self.done:
            phase = str(event.get("phase"))
            day = event.get("business_date")
            label = PHASES.get(phase, phase)
            self.bar.label = f"{day}: {label}" if day else label
            self.bar.update(done - self.done)
            self.done = done

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@eod.command("close")
@click.option(
    "--date",
    "business_date",
    type=DATE,
    default=None,
    help="Date to close (default: the latest date fully past the cut-off).",
)
@book_options
def eod_close(business_date: datetime | None, tenant: str, as_json: bool) -> None:
    """Close a business date (and earlier open dates with activity, first)."""
    progress = Progress(quiet=as_json)

    async def call(ledger: Ledger) -> dict[str, Any]:
        day: date
        if business_date is None:
            day = await ledger.business_date(None, tenant) - timedelta(days=1)
        else:
            day = business_date.date()
        return await ledger.eod_close(day, tenant, on_progress=progress)

    try:
        closed = with_ledger(call)
    finally:
        progress.finish()
    if as_json:
        emit_record(closed, True, fields=CLOSE_FIELDS)
        return
    emit_record(closed, False, fields=CLOSE_FIELDS)
    click.echo("")
    # The trial balance travels as strings (exact in JSON); as numbers they align.
    trial = [
        {key: value if key == "ccy" else Decimal(value) for key, value in row.items()}
        for row in closed["trial_balance"]
    ]
    click.echo(table(trial, TRIAL_COLUMNS))


@eod.command("status")
@book_options
def eod_status(tenant: str, as_json: bool) -> None:
    """Business date, latest closed date, open dates with activity, last close."""
    status = with_ledger(lambda ledger: ledger.eod_status(tenant))
    emit_record(status if as_json else status_view(status), as_json, fields=STATUS_FIELDS)


@eod.command("verify")
@book_options
def eod_verify(tenant: str, as_json: bool) -> None:
    """Recompute every seal; list the closed dates whose data no longer match (exit 2)."""
    problems = with_ledger(lambda ledger: ledger.verify_seals(tenant))
    emit_rows(problems, PROBLEM_COLUMNS, as_json, empty="every closed date matches its seal")
    if problems:
        dates = sorted({row["business_date"] for row in problems})
        click.echo(f"{len(dates)} closed date(s) fail verification", err=True)
        sys.exit(2)


@eod.command("settings")
@click.option("--time-zone", default=None, help="IANA time zone, e.g. Europe/Berlin.")
@click.option(
    "--cutoff",
    type=click.DateTime(formats=["%H:%M", "%H:%M:%S"]),
    default=None,
    help="Local time at which the business day ends (00:00 = midnight).",
)
@book_options
def eod_settings(
    time_zone: str | None, cutoff: datetime | None, tenant: str, as_json: bool
) -> None:
    """Set the tenant's time zone and cut-off (show them when given neither)."""
    at: time | None = cutoff.time() if cutoff is not None else None

    async def call(ledger: Ledger) -> dict[str, Any]:
        if time_zone is None and at is None:
            return await ledger.eod_status(tenant)
        return await ledger.set_ledger_settings(time_zone, at, tenant)

    status = with_ledger(call)
    emit_record(status if as_json else status_view(status), as_json, fields=STATUS_FIELDS)
