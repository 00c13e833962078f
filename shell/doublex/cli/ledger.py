"""Bookkeeping commands: accounts, posting, balances, history and journals.

doublex accounts create 1001-CASH "Cash at bank" --ccy EUR
doublex post --leg 1001-CASH:debit:45.00:EUR --leg 4001-SALES:credit:45.00:EUR
doublex balance 1001-CASH --as-of 2026-11-20
doublex history 1001-CASH --from 2026-11-01 --to 2026-11-30
doublex journals list --account 1001-CASH
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from doublex import jsonio
from doublex.cli.common import (
    DATE,
    book_options,
    iso_date,
    keyed_write,
    limit_option,
    page_options,
    with_ledger,
)
from doublex.cli.output import Column, emit_page, emit_record, emit_rows
from doublex.cli.root import main
from doublex.db import Ledger
from doublex.db.runner import Row

ACCOUNT_COLUMNS: list[Column] = [
    ("code", "code"),
    ("name", "name"),
    ("ccy", "ccy"),
    ("type", "type"),
    ("normal_side", "normal side"),
    ("status", "status"),
    ("allow_negative", "may go negative"),
    ("created_at", "created"),
]
BALANCE_FIELDS: list[Column] = [
    ("account", "account"),
    ("ccy", "ccy"),
    ("balance", "balance"),
    ("debits", "debits"),
    ("credits", "credits"),
    ("as_of", "as of"),
    ("snapshot_source", "source"),
]
# The balance now also shows its pending side and limits (NULL as of a date).
PENDING_FIELDS: list[Column] = [
    ("pending_debits", "pending debits"),
    ("pending_credits", "pending credits"),
    ("available", "available"),
    ("min_balance", "min balance"),
    ("max_balance", "max balance"),
]
HISTORY_COLUMNS: list[Column] = [
    ("business_date", "date"),
    ("opening_balance", "opening"),
    ("debits", "debits"),
    ("credits", "credits"),
    ("closing_balance", "closing"),
]
JOURNAL_COLUMNS: list[Column] = [
    ("effective_date", "date"),
    ("journal_id", "journal"),
    ("kind", "kind"),
    ("idempotency_key", "key"),
    ("summary", "legs"),
    ("memo", "memo"),
]
POSTING_FIELDS: list[Column] = [
    ("journal_id", "journal"),
    ("status", "status"),
    ("effective_date", "date"),
    ("created_at", "created"),
    ("idempotency_key", "key"),
]
SIDES = ("debit", "credit")


# -- doublex accounts -------------------------------------------------------------------------


@main.group()
def accounts() -> None:
    """Open, list and show accounts."""


@accounts.command("create")
@click.argument("code")
@click.argument("name")
@click.option("--ccy", required=True, help="ISO 4217 currency, e.g. EUR.")
@click.option(
    "--type",
    "account_type",
    default="asset",
    show_default=True,
    type=click.Choice(["asset", "liability", "equity", "income", "expense"]),
)
@click.option("--no-negative", is_flag=True, help="Refuse postings that take it below zero.")
@click.option("--metadata", default=None, help="A JSON object kept with the account.")
@book_options
def accounts_create(
    code: str,
    name: str,
    ccy: str,
    account_type: str,
    no_negative: bool,
    metadata: str | None,
    tenant: str,
    as_json: bool,
) -> None:
    """Open account CODE called NAME."""
    extra = parse_json_object(metadata, "--metadata")
    account = with_ledger(
        lambda ledger: ledger.create_account(
            code, name, ccy, account_type, not no_negative, extra, tenant
        )
    )
    emit_record(account, as_json, fields=ACCOUNT_COLUMNS)


@accounts.command("list")
@click.option("--after", default=None, help="List codes after this one (the next page).")
@limit_option
@book_options
def accounts_list(after: str | None, limit: int, tenant: str, as_json: bool) -> None:
    """Accounts by code, a page at a time."""
    rows = with_ledger(lambda ledger: ledger.list_accounts(after, limit, tenant))
    emit_rows(rows, ACCOUNT_COLUMNS, as_json, empty="no accounts")


@accounts.command("show")
@click.argument("code")
@book_options
def accounts_show(code: str, tenant: str, as_json: bool) -> None:
    """One account, with its current balance."""

    async def call(ledger: Any) -> dict[str, Any]:
        account = await ledger.get_account(code, tenant)
        balance = await ledger.get_balance(code, None, tenant)
        return {**account, "balance": balance["balance"]}

    emit_record(with_ledger(call), as_json, fields=[*ACCOUNT_COLUMNS, ("balance", "balance")])


# -- doublex post -----------------------------------------------------------------------------


def parse_json_object(text: str | None, option: str) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint=option) from exc
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint=option)
    return value


F = TypeVar("F", bound=Callable[..., Any])


def parse_leg(text: str) -> dict[str, str]:
    """ACCOUNT:debit|credit:AMOUNT:CCY (the account code may itself contain colons)."""
    parts = text.rsplit(":", 3)
    if len(parts) != 4 or parts[1] not in SIDES or not all(parts):
        raise click.BadParameter(
            f"{text!r} is not ACCOUNT:debit|credit:AMOUNT:CCY", param_hint="--leg"
        )
    account, side, amount, ccy = parts
    return {"account": account, "side": side, "amount": amount, "ccy": ccy}


CONDITION = re.compile(
    r"^(?:(?P<field>available|posted):)?(?P<account>.+?)(?P<op>>=|<=|=)(?P<amount>.*)$"
)


def parse_condition(text: str) -> dict[str, str]:
    """A balance condition written [available:|posted:]CODE>=AMOUNT (or <=, =) as the
    ledger takes it; the ledger checks the parts (DX056)."""
    match = CONDITION.match(text)
    if match is None:
        raise click.BadParameter(
            f"{text!r}: expected [available:|posted:]ACCOUNT>=AMOUNT (or <=, =)",
            param_hint="--condition",
        )
    return {key: value for key, value in match.groupdict().items() if value is not None}


def parse_conditions(texts: tuple[str, ...]) -> list[dict[str, str]] | None:
    """Every --condition, or None when there is none."""
    return [parse_condition(text) for text in texts] or None


def leg_option(example: str, required: bool = False) -> Callable[[F], F]:
    """`--leg`, repeated: one leg each (parse_leg reads them)."""
    return click.option(
        "--leg", "legs", multiple=True, required=required, metavar="ACCOUNT:SIDE:AMOUNT:CCY",
        help=f"A leg, e.g. {example} (repeat for each leg).",
    )  # fmt: skip


condition_option = click.option(
    "--condition",
    "conditions",
    multiple=True,
    metavar="[available:|posted:]ACCOUNT>=AMOUNT",
    help="Refuse unless this balance holds afterwards, e.g. 2001-WALLET>=0.00 or"
    " posted:2001-WALLET<=500 (op >=, <= or =; available when no field; repeatable).",
)


def read_legs(path: str) -> Any:
    """Legs from a JSON file: an array of legs, or an object with a `legs` array."""
    try:
        value = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise click.BadParameter(str(exc), param_hint="--legs-file") from exc
    return value.get("legs") if isinstance(value, dict) else value


@main.command("post")
@leg_option("1001-CASH:debit:45.00:EUR")
@click.option(
    "--legs-file",
    type=click.Path(exists=True, dir_okay=False),
    help="JSON file: an array of {account, side, amount, ccy}.",
)
@click.option("--key", default=None, help="Idempotency key (default: a new random one).")
@click.option("--date", "effective_date", type=DATE, default=None, help="Effective date.")
@click.option("--memo", default=None)
@click.option("--ref", default=None, help="External reference (what bank statements carry).")
@click.option("--metadata", default=None, help="A JSON object kept with the journal.")
@condition_option
@book_options
def post(
    legs: tuple[str, ...],
    legs_file: str | None,
    key: str | None,
    effective_date: datetime | None,
    memo: str | None,
    ref: str | None,
    metadata: str | None,
    conditions: tuple[str, ...],
    tenant: str,
    as_json: bool,
) -> None:
    """Post one balanced journal (legs from --leg options or a JSON file)."""
    if bool(legs) == bool(legs_file):
        raise click.UsageError("give the legs either as --leg options or as --legs-file")
    body = read_legs(legs_file) if legs_file else [parse_leg(leg) for leg in legs]
    extra = parse_json_object(metadata, "--metadata")
    keyed_write(
        key,
        lambda ledger, k: ledger.post_journal(
            k, body, iso_date(effective_date), memo, ref, extra, parse_conditions(conditions),
            tenant,
        ),
        as_json,
        POSTING_FIELDS,
    )  # fmt: skip


# -- doublex balance, history -----------------------------------------------------------------


@main.command("balance")
@click.argument("code")
@click.option("--as-of", type=DATE, default=None, help="Balance at the end of this date.")
@book_options
def balance(code: str, as_of: datetime | None, tenant: str, as_json: bool) -> None:
    """Balance of account CODE on its normal side (now, with its pending holds, available
    balance and limits; or as of a date)."""
    row = with_ledger(lambda ledger: ledger.get_balance(code, iso_date(as_of), tenant))
    emit_record(row, as_json, fields=BALANCE_FIELDS if as_of else BALANCE_FIELDS + PENDING_FIELDS)


@main.command("history")
@click.argument("code")
@click.option("--from", "from_date", type=DATE, required=True, help="First date.")
@click.option("--to", "to_date", type=DATE, required=True, help="Last date.")
@book_options
def history(code: str, from_date: datetime, to_date: datetime, tenant: str, as_json: bool) -> None:
    """Day by day balances of account CODE over closed business dates."""
    rows = with_ledger(
        lambda ledger: ledger.balance_history(code, iso_date(from_date), iso_date(to_date), tenant)
    )
    emit_rows(rows, HISTORY_COLUMNS, as_json, empty="no closed business dates in that range")


# -- doublex report balances ------------------------------------------------------------------

TRIAL_COLUMNS: list[Column] = [
    ("code", "code"),
    ("name", "name"),
    ("ccy", "ccy"),
    ("normal_side", "normal side"),
    ("debits", "debits"),
    ("credits", "credits"),
    ("balance", "balance"),
]
TOTAL_COLUMNS: list[Column] = [
    ("ccy", "ccy"),
    ("accounts", "accounts"),
    ("debits", "debits"),
    ("credits", "credits"),
    ("net", "net"),
]


@main.group()
def report() -> None:
    """Reports of the books."""


@report.command("balances")
@click.option("--as-of", type=DATE, default=None, help="Legs effective on or before this date.")
@page_options
@book_options
def report_balances(
    as_of: datetime | None, cursor: str | None, limit: int, tenant: str, as_json: bool
) -> None:
    """The trial balance: a page of accounts, and the totals per currency (they net to 0)."""
    lines, totals = with_ledger(
        lambda ledger: ledger.trial_balance(iso_date(as_of), cursor, limit, tenant)
    )
    next_cursor = lines[-1]["code"] if len(lines) == limit else None
    if as_json:
        page = {"as_of": iso_date(as_of), "items": lines, "next_cursor": next_cursor}
        click.echo(jsonio.dumps({**page, "totals": totals}).decode())
        return
    emit_rows(lines, TRIAL_COLUMNS, False, empty="no accounts")
    click.echo()
    emit_rows(totals, TOTAL_COLUMNS, False, empty="no totals")
    if next_cursor is not None:
        click.echo(f"next page: --cursor {next_cursor}", err=True)


# -- doublex journals -------------------------------------------------------------------------


@main.group()
def journals() -> None:
    """Read journals."""


def leg_summary(journal: dict[str, Any]) -> str:
    return ", ".join(
        f"{leg['side'][0].upper()} {leg['account']} {leg['amount']} {leg['ccy']}"
        for leg in journal["legs"]
    )


@journals.command("list")
@click.option("--from", "from_date", type=DATE, default=None, help="First effective date.")
@click.option("--to", "to_date", type=DATE, default=None, help="Last effective date.")
@click.option("--account", default=None, help="Only journals with a leg on this account.")
@page_options
@book_options
def journals_list(
    from_date: datetime | None,
    to_date: datetime | None,
    account: str | None,
    cursor: str | None,
    limit: int,
    tenant: str,
    as_json: bool,
) -> None:
    """Journals by effective date, then id."""

    async def journal_page(ledger: Ledger) -> tuple[list[Row], bool]:
        rows = await ledger.list_journals(
            iso_date(from_date), iso_date(to_date), account, cursor, limit, tenant
        )
        return rows, await ledger.journal_page_continues(rows, limit)

    rows, continues = with_ledger(journal_page)
    if not as_json:
        rows = [{**row, "summary": leg_summary(row)} for row in rows]
    emit_page(rows, JOURNAL_COLUMNS, as_json, empty="no journals", continues=continues)
