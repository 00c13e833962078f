"""`doublex fx`: rates (set, get, import a CSV file), FX transfers and the FX position."""

from __future__ import annotations

import csv
import io
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click

from doublex.cli.common import book_options, with_ledger
from doublex.cli.output import Column, emit_record, emit_rows, table
from doublex.cli.root import main
from doublex.db import Ledger, LineProblem, RateLine

QUOTE_FIELDS: list[Column] = [
    ("base", "base"),
    ("quote", "quote"),
    ("rate", "rate"),
    ("valid_on", "valid on"),
    ("direction", "direction"),
    ("source", "source"),
]
SETTLEMENT_FIELDS: list[Column] = [
    ("settlement_id", "settlement"),
    ("status", "status"),
    ("idempotency_key", "key"),
    ("from_account", "from"),
    ("to_account", "to"),
    ("source_amount", "source amount"),
    ("source_ccy", "source ccy"),
    ("destination_amount", "destination amount"),
    ("destination_ccy", "destination ccy"),
    ("rate", "rate"),
    ("rate_basis", "rate basis"),
    ("rate_valid_on", "rate valid on"),
    ("fixed_side", "fixed side"),
    ("residual", "residual"),
    ("residual_ccy", "residual ccy"),
    ("source_journal_id", "source journal"),
    ("destination_journal_id", "destination journal"),
    ("effective_date", "effective date"),
]
POSITION_COLUMNS: list[Column] = [
    ("ccy", "ccy"),
    ("clearing_account", "clearing account"),
    ("position", "position"),
    ("rate", "rate"),
    ("rate_valid_on", "rate valid on"),
    ("value", "value"),
]
CSV_HEADER = ["base", "quote", "rate", "valid_on"]
DATE_FORMAT = click.DateTime(["%Y-%m-%d"])


class DecimalType(click.ParamType[Decimal]):
    """A decimal typed as digits ("1.0850"): exact, never a float. Its range (a rate or an
    amount above zero) is the ledger's to check: it answers DX030 or DX003."""

    name = "decimal"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Decimal:
        parsed = parse_decimal(str(value))
        if parsed is None:
            self.fail(f"{value!r} is not a decimal such as 12.50", param, ctx)
        return parsed


DECIMAL = DecimalType()


def parse_decimal(text: str) -> Decimal | None:
    """Digits with an optional sign and fraction; anything else (1e3, NaN, 1,5) is None."""
    digits = text.removeprefix("-")
    if not digits or not all(c.isdigit() or c == "." for c in digits) or digits.count(".") > 1:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # "." alone
        return None


def as_date(value: object) -> date | None:
    return value.date() if value is not None else None  # type: ignore[attr-defined]


@main.group()
def fx() -> None:
    """FX: rates, cross-currency transfers through clearing accounts, the open position."""


@fx.group("rate")
def rate_group() -> None:
    """One rate of a currency pair."""


@rate_group.command("set")
@click.argument("base")
@click.argument("quote")
@click.argument("rate", type=DECIMAL)
@click.option(
    "--on", "on", type=DATE_FORMAT, default=None, help="valid_on (default: business date)."
)
@click.option("--source", default=None, help="Where the rate comes from, e.g. ECB.")
@book_options
def rate_set(
    base: str, quote: str, rate: Decimal, on: object, source: str | None, tenant: str, as_json: bool
) -> None:
    """Set 1 BASE = RATE QUOTE from a date on (insert or replace that date's rate)."""

    async def call(ledger: Ledger) -> dict[str, Any]:
        # The default is the date lookups default to: the tenant's current business date.
        valid_on = as_date(on) or await ledger.business_date(None, tenant)
        return await ledger.upsert_fx_rate(base, quote, rate, valid_on, source, tenant)

    stored = with_ledger(call)
    emit_record(stored, as_json, fields=QUOTE_FIELDS)


@rate_group.command("get")
@click.argument("base")
@click.argument("quote")
@click.option("--on", "on", type=DATE_FORMAT, default=None, help="Day (default: business date).")
@book_options
def rate_get(base: str, quote: str, on: object, tenant: str, as_json: bool) -> None:
    """The rate of BASE in QUOTE on a day: stored (direct) or from the inverse pair (inverted)."""
    found = with_ledger(lambda ledger: ledger.fx_rate(base, quote, as_date(on), tenant))
    emit_record(found, as_json, fields=QUOTE_FIELDS)


@fx.group("rates")
def rates_group() -> None:
    """Many rates at once."""


@dataclass(frozen=True)
class CsvProblem:
    line: int
    reason: str


def read_rates(text: str) -> tuple[list[RateLine], list[CsvProblem]]:
    """Parse `base,quote,rate,valid_on[,source]` lines (a header line first). Every line is
    checked; what the file alone shows to be wrong comes back as problems with line numbers."""
    rows = csv.reader(io.StringIO(text))
    lines: list[RateLine] = []
    problems: list[CsvProblem] = []
    header = next(rows, None)
    if header is None or [h.strip() for h in header[:4]] != CSV_HEADER or len(header) > 5:
        expected = ",".join(CSV_HEADER)
        return [], [CsvProblem(1, f"the header must be {expected}[,source]")]
    seen: dict[tuple[str, str, date], int] = {}
    for number, row in enumerate(rows, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue  # blank lines are allowed
        parsed = _parse_row(number, [cell.strip() for cell in row], len(header))
        if isinstance(parsed, CsvProblem):
            problems.append(parsed)
            continue
        pair_day = (parsed.base, parsed.quote, parsed.valid_on)
        if pair_day in seen:
            problems.append(CsvProblem(number, f"repeats the rate of line {seen[pair_day]}"))
            continue
        seen[pair_day] = number
        lines.append(parsed)
    return lines, problems


def _parse_row(number: int, row: Sequence[str], width: int) -> RateLine | CsvProblem:
    if len(row) != width:
        return CsvProblem(number, f"has {len(row)} fields, the header {width}")
    base, quote, rate_text, day_text = row[:4]
    rate = parse_decimal(rate_text)
    if rate is None:
        return CsvProblem(number, f"rate {rate_text!r} is not a decimal such as 1.0850")
    try:
        valid_on = date.fromisoformat(day_text) if len(day_text) == 10 else None
    except ValueError:
        valid_on = None
    if valid_on is None:
        return CsvProblem(number, f"valid_on {day_text!r} is not a date (YYYY-MM-DD)")
    source = (row[4] or None) if width == 5 else None
    return RateLine(number, base, quote, rate, valid_on, source)


@rates_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@book_options
def rates_import(file: Path, tenant: str, as_json: bool) -> None:
    """Upsert every rate of a CSV file (base,quote,rate,valid_on[,source]), all or nothing.

    Every bad line is reported with its number and reason, and then nothing is written."""
    lines, problems = read_rates(file.read_text(encoding="utf-8-sig"))
    if not problems:
        with click.progressbar(length=len(lines), label="importing rates", file=sys.stderr) as bar:

            def advance(done: int) -> None:
                bar.update(done)

            refused = with_ledger(
                lambda ledger: ledger.import_fx_rates(lines, tenant, progress=advance)
            )
        problems = [_refusal(p) for p in refused]
    if problems:
        _report_problems(file, problems, as_json)
        raise SystemExit(1)
    summary = {"file": str(file), "imported": len(lines), "tenant": tenant}
    emit_record(
        summary, as_json, fields=[("file", "file"), ("imported", "imported"), ("tenant", "tenant")]
    )


def _refusal(problem: LineProblem) -> CsvProblem:
    return CsvProblem(problem.line, f"{problem.code}: {problem.message}")


def _report_problems(file: Path, problems: list[CsvProblem], as_json: bool) -> None:
    if as_json:
        rows = [{"line": p.line, "reason": p.reason} for p in problems]
        emit_rows(rows, [], True, empty="")
    for problem in sorted(problems, key=lambda p: p.line):
        click.echo(f"{file}:{problem.line}: {problem.reason}", err=True)
    click.echo(f"error: {len(problems)} bad line(s); nothing was imported", err=True)


@fx.command("transfer")
@click.argument("from_account")
@click.argument("to_account")
@click.argument("amount", type=DECIMAL)
@click.option(
    "--fixed-side",
    type=click.Choice(["source", "destination"]),
    default="source",
    show_default=True,
    help="Is AMOUNT what leaves FROM (source) or what arrives on TO (destination)?",
)
@click.option("--key", default=None, help="Idempotency key (default: a new UUID, printed).")
@click.option("--rate", type=DECIMAL, default=None, help="Override: 1 source ccy = RATE dest ccy.")
@click.option("--on", "on", type=DATE_FORMAT, default=None, help="Effective date.")
@click.option("--memo", default=None)
@click.option("--ref", default=None)
@book_options
def transfer(
    from_account: str,
    to_account: str,
    amount: Decimal,
    fixed_side: str,
    key: str | None,
    rate: Decimal | None,
    on: object,
    memo: str | None,
    ref: str | None,
    tenant: str,
    as_json: bool,
) -> None:
    """Convert AMOUNT from FROM_ACCOUNT into TO_ACCOUNT (another currency), idempotently."""
    idempotency_key = key or str(uuid.uuid4())
    settled = with_ledger(
        lambda ledger: ledger.post_fx_transfer(
            idempotency_key,
            from_account,
            to_account,
            amount,
            fixed_side,
            rate,
            as_date(on),
            memo,
            ref,
            tenant,
        )
    )
    emit_record(settled, as_json, fields=SETTLEMENT_FIELDS)


@fx.command("position")
@click.option("--as-of", type=DATE_FORMAT, default=None, help="Postings up to this date.")
@click.option("--reporting-ccy", default="EUR", show_default=True)
@book_options
def position(as_of: object, reporting_ccy: str, tenant: str, as_json: bool) -> None:
    """The open FX position per currency (clearing balances), valued in a reporting currency."""
    rows = with_ledger(lambda ledger: ledger.fx_position(as_date(as_of), reporting_ccy, tenant))
    if as_json or not rows:
        emit_rows(rows, POSITION_COLUMNS, as_json, empty="no FX settlements yet")
        return
    click.echo(table(rows, POSITION_COLUMNS))
    click.echo(f"(values in {reporting_ccy}; position > 0 is long)")
