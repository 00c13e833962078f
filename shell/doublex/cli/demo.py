"""The live page's demo tenants, by hand (the service prunes them periodically too).

doublex demo prune                      # archive demo tenants older than DOUBLEX_DEMO_MAX_AGE_HOURS
doublex demo prune --older-than-hours 2

Archiving revokes the tenant's keys and marks it archived (ledger.prune_demo_tenants):
tenants are never deleted, their journals are append-only. Runs with the admin DSN.
"""

from __future__ import annotations

from datetime import timedelta

import click

from doublex import config
from doublex.cli.common import with_ledger
from doublex.cli.root import main


@main.group()
def demo() -> None:
    """The live page's demo tenants."""


@demo.command("prune")
@click.option(
    "--older-than-hours",
    type=click.FloatRange(min=0),
    default=None,
    help="Age in hours (default: DOUBLEX_DEMO_MAX_AGE_HOURS, 24).",
)
def demo_prune(older_than_hours: float | None) -> None:
    """Archive the demo tenants older than an age: their keys revoked."""
    hours = config.load().demo_max_age_hours if older_than_hours is None else older_than_hours
    archived = with_ledger(lambda ledger: ledger.prune_demo_tenants(timedelta(hours=hours)))
    click.echo(f"archived {archived} demo tenants older than {hours:g} hours")
