"""Balance monitors: one event when a condition on a balance becomes true, one when it stops.

doublex monitors create --account 1000-CASH --field available --condition '<' --threshold 100
doublex monitors create --account-type liability --field posted --condition '>=' --threshold 1e6
doublex monitors list
doublex monitors delete 0190…
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import click

from doublex.cli.common import book_options, with_ledger
from doublex.cli.output import Column, emit_record, emit_rows
from doublex.cli.root import main

MONITOR_COLUMNS: list[Column] = [
    ("monitor_id", "monitor"),
    ("watches", "watches"),
    ("rule", "condition"),
    ("triggered_on", "triggered on"),
]
MONITOR_FIELDS: list[Column] = [
    *MONITOR_COLUMNS,
    ("created_at", "created"),
    ("created_by", "created by"),
]


def described(monitor: dict[str, Any]) -> dict[str, Any]:
    """A monitor with its scope, rule and triggered accounts as one line each."""
    watches = monitor["account"] or f"every {monitor['account_type']} account"
    rule = f"{monitor['field']} {monitor['condition']} {monitor['threshold']}"
    return {**monitor, "watches": watches, "rule": rule,
            "triggered_on": ", ".join(monitor["triggered"]) or "-"}  # fmt: skip


@main.group()
def monitors() -> None:
    """Balance monitors: announced once per crossing (events monitor.triggered/resolved)."""


@monitors.command("create")
@click.option("--account", default=None, help="The account to watch (or --account-type).")
@click.option(
    "--account-type",
    default=None,
    help="Watch every account of this type: asset, liability, equity, income, expense.",
)
@click.option("--field", default=None, help="available (posted minus pending holds) or posted.")
@click.option("--condition", default=None, help="<, <=, > or >=.")
@click.option("--threshold", type=Decimal, default=None, help="The balance compared with.")
@book_options
def monitors_create(
    account: str | None, account_type: str | None, field: str | None, condition: str | None,
    threshold: Decimal | None, tenant: str, as_json: bool,
) -> None:  # fmt: skip
    """Watch a balance; accounts where the condition holds now are announced at once."""
    monitor = with_ledger(
        lambda ledger: ledger.create_monitor(
            account, account_type, field, condition, threshold, tenant
        )
    )
    emit_record(described(monitor), as_json, fields=MONITOR_FIELDS)


@monitors.command("list")
@book_options
def monitors_list(tenant: str, as_json: bool) -> None:
    """The tenant's monitors, oldest first, with the accounts where each is triggered."""
    rows = with_ledger(lambda ledger: ledger.list_monitors(tenant))
    emit_rows([described(row) for row in rows], MONITOR_COLUMNS, as_json, empty="no monitors")


@monitors.command("delete")
@click.argument("monitor_id", type=click.UUID)
@book_options
def monitors_delete(monitor_id: uuid.UUID, tenant: str, as_json: bool) -> None:
    """Stop watching (nothing more is announced, not even a resolution)."""
    monitor = with_ledger(lambda ledger: ledger.delete_monitor(monitor_id, tenant))
    emit_record(described(monitor), as_json, fields=MONITOR_FIELDS)
