"""Holds and limits: reserve funds, capture or void them, set an account's limits.

doublex holds create --leg 2001-CARD:debit:80.00:EUR --leg 2900-SETTLE:credit:80.00:EUR
doublex holds show 0190…
doublex holds list --account 2001-CARD --status pending
doublex holds capture 0190… --amount 60.00 --amount 60.00
doublex holds create … --condition 2001-CARD>=-500 (balance conditions, as on doublex post)
doublex holds void 0190…
doublex holds expire
doublex accounts limits 2001-CARD --min -500
doublex available 2001-CARD
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import click

from doublex.cli.common import (
    DATE,
    book_options,
    iso_date,
    keyed_write,
    limit_option,
    tenant_option,
    with_ledger,
)
from doublex.cli.ledger import (
    accounts,
    condition_option,
    leg_option,
    parse_conditions,
    parse_json_object,
    parse_leg,
)
from doublex.cli.output import Column, emit_record, emit_rows
from doublex.cli.root import main

HOLD_FIELDS: list[Column] = [
    ("hold_id", "hold"),
    ("status", "status"),
    ("expires_at", "expires"),
    ("created_at", "created"),
    ("idempotency_key", "key"),
]
RESOLUTION_FIELDS: list[Column] = [
    ("hold_id", "hold"),
    ("status", "status"),
    ("journal_id", "journal"),
    ("effective_date", "date"),
    ("resolved_at", "resolved"),
    ("idempotency_key", "key"),
]
HOLD_COLUMNS: list[Column] = [
    ("hold_id", "hold"),
    ("status", "status"),
    ("summary", "legs"),
    ("expires_at", "expires"),
    ("memo", "memo"),
    ("journal_id", "journal"),
]
AVAILABLE_FIELDS: list[Column] = [
    ("account", "account"),
    ("ccy", "ccy"),
    ("posted", "posted"),
    ("pending_debits", "pending debits"),
    ("pending_credits", "pending credits"),
    ("available", "available"),
    ("min_balance", "min balance"),
    ("max_balance", "max balance"),
]
TIMESTAMP = click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"])
key_option = click.option(
    "--key", default=None, help="Idempotency key (default: a new random one)."
)


def with_summary(hold: dict[str, Any]) -> dict[str, Any]:
    legs = hold.get("legs") or []
    summary = ", ".join(
        f"{leg['side']} {leg['account']} {leg['amount']} {leg['ccy']}" for leg in legs
    )
    return {**hold, "summary": summary}


@main.group()
def holds() -> None:
    """Reserve funds (holds), then capture, void or let them expire."""


@holds.command("create")
@leg_option("2001-CARD:debit:80.00:EUR", required=True)
@click.option(
    "--expires",
    "expires_at",
    type=TIMESTAMP,
    default=None,
    help="When the hold lapses (ISO timestamp); never when left out.",
)
@key_option
@click.option("--memo", default=None)
@click.option("--ref", default=None)
@click.option("--metadata", default=None, help="A JSON object kept with the hold.")
@condition_option
@book_options
def holds_create(
    legs: tuple[str, ...], expires_at: datetime | None, key: str | None, memo: str | None,
    ref: str | None, metadata: str | None, conditions: tuple[str, ...], tenant: str,
    as_json: bool,
) -> None:  # fmt: skip
    """Reserve a balanced set of legs without posting them."""
    body = [parse_leg(leg) for leg in legs]
    extra = parse_json_object(metadata, "--metadata")
    keyed_write(
        key,
        lambda ledger, k: ledger.create_hold(
            k, body, expires_at, memo, ref, extra, parse_conditions(conditions), tenant
        ),
        as_json,
        HOLD_FIELDS,
    )


@holds.command("show")
@click.argument("hold_id", type=click.UUID)
@book_options
def holds_show(hold_id: uuid.UUID, tenant: str, as_json: bool) -> None:
    """One hold with its status and legs."""
    hold = with_ledger(lambda ledger: ledger.get_hold(hold_id, tenant))
    emit_record(
        with_summary(hold),
        as_json,
        fields=[*HOLD_COLUMNS, ("resolved_at", "resolved"), ("created_by", "created by")],
    )


@holds.command("list")
@click.option("--account", default=None, help="Only holds with a leg on this account.")
@click.option(
    "--status", default=None, type=click.Choice(["pending", "captured", "voided", "expired"])
)
@click.option(
    "--after", "after_id", type=click.UUID, default=None, help="The last hold of the previous page."
)
@limit_option
@book_options
def holds_list(
    account: str | None, status: str | None, after_id: uuid.UUID | None, limit: int,
    tenant: str, as_json: bool,
) -> None:  # fmt: skip
    """Holds, oldest first."""
    rows = with_ledger(lambda ledger: ledger.list_holds(account, status, after_id, limit, tenant))
    emit_rows([with_summary(row) for row in rows], HOLD_COLUMNS, as_json, empty="no holds")


@holds.command("capture")
@click.argument("hold_id", type=click.UUID)
@click.option(
    "--amount",
    "amounts",
    multiple=True,
    help="Per leg, in the hold's order (repeat for each leg); the whole hold when left out.",
)
@click.option("--date", "effective_date", type=DATE, default=None, help="Effective date.")
@key_option
@condition_option
@book_options
def holds_capture(
    hold_id: uuid.UUID, amounts: tuple[str, ...], effective_date: datetime | None,
    key: str | None, conditions: tuple[str, ...], tenant: str, as_json: bool,
) -> None:  # fmt: skip
    """Post a hold as a journal (all of it, or --amount per leg); the rest is released."""
    keyed_write(
        key,
        lambda ledger, k: ledger.capture_hold(
            hold_id, k, list(amounts) or None, iso_date(effective_date),
            parse_conditions(conditions), tenant,
        ),
        as_json,
        RESOLUTION_FIELDS,
    )  # fmt: skip


@holds.command("void")
@click.argument("hold_id", type=click.UUID)
@key_option
@book_options
def holds_void(hold_id: uuid.UUID, key: str | None, tenant: str, as_json: bool) -> None:
    """Release a hold without posting it."""
    keyed_write(
        key, lambda ledger, k: ledger.void_hold(hold_id, k, tenant), as_json, RESOLUTION_FIELDS
    )


@holds.command("expire")
@tenant_option
def holds_expire(tenant: str) -> None:
    """Mark the holds past their expiry as expired (doublex maintain runs it too)."""
    count = with_ledger(lambda ledger: ledger.expire_holds(tenant))
    click.echo(f"{count} hold(s) marked expired")


@accounts.command("limits")
@click.argument("code")
@click.option(
    "--min",
    "min_balance",
    type=Decimal,
    default=None,
    help="Lowest balance on the normal side (-500: a credit line of 500); none when left out.",
)
@click.option(
    "--max", "max_balance", type=Decimal, default=None, help="Highest balance; none when left out."
)
@book_options
def accounts_limits(
    code: str, min_balance: Decimal | None, max_balance: Decimal | None, tenant: str, as_json: bool
) -> None:
    """Set (or clear) the minimum and maximum balance of account CODE."""
    row = with_ledger(
        lambda ledger: ledger.set_account_limits(code, min_balance, max_balance, tenant)
    )
    emit_record(row, as_json, fields=AVAILABLE_FIELDS)


@main.command("available")
@click.argument("code")
@book_options
def available(code: str, tenant: str, as_json: bool) -> None:
    """Posted, pending and available balance of account CODE, with its limits."""
    row = with_ledger(lambda ledger: ledger.get_available_balance(code, tenant))
    emit_record(row, as_json, fields=AVAILABLE_FIELDS)
