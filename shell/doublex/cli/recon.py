"""Reconciliation commands: import a bank statement, run the matching, write the reports."""

from __future__ import annotations

import sys
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click

from doublex import jsonio, recon_report, statement_file
from doublex.cli.common import book_options, page_options, with_ledger
from doublex.cli.output import emit_page, emit_record, emit_rows, table
from doublex.cli.root import main

DATE = click.DateTime(formats=["%Y-%m-%d"])
IMPORT_FIELDS = [
    ("status", "status"),
    ("account", "account"),
    ("import_id", "import"),
    ("lines", "lines"),
    ("added", "added"),
    ("skipped", "skipped (already imported)"),
]
SUMMARY_FIELDS = [
    ("account", "account"),
    ("business_date", "date"),
    ("ccy", "currency"),
    ("tolerance", "tolerance"),
    ("statement_lines", "statement lines"),
    ("legs", "ledger legs"),
    ("matched", "matched"),
    ("unmatched", "exceptions"),
    ("amount_mismatch", "  amount mismatch"),
    ("missing_in_ledger", "  missing in ledger"),
    ("missing_in_bank", "  missing in bank"),
    ("bank_total", "bank total"),
    ("ledger_total", "ledger total"),
    ("difference", "difference"),
]
EXCEPTION_COLUMNS = [
    ("kind", "kind"),
    ("line", "line"),
    ("ref", "ref"),
    ("amount", "amount"),
    ("delta", "delta"),
    ("journal_id", "journal"),
]


def business_date(value: datetime) -> date:
    return value.date()


def tolerance_value(ctx: click.Context, param: click.Parameter, value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise click.BadParameter(f"{value!r} is not a decimal amount") from exc


def formats_value(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    chosen = [part.strip().lower() for part in value.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in recon_report.FORMATS]
    if unknown or not chosen:
        raise click.BadParameter(f"choose from {', '.join(recon_report.FORMATS)}")
    return chosen


@main.group()
def recon() -> None:
    """Bank reconciliation: import statements, match them with the ledger, report."""


@recon.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--account", required=True, help="The ledger account of the statement.")
@click.option(
    "--map",
    "mapping",
    default=None,
    help="Column names: FIELD=Header,… (fields date, ref, amount, ccy, description, id).",
)
@click.option(
    "--date-format",
    default=None,
    help="How dates are written: YYYY, MM, DD with separators (default YYYY-MM-DD).",
)
@book_options
def import_command(
    file: Path,
    account: str,
    mapping: str | None,
    date_format: str | None,
    tenant: str,
    as_json: bool,
) -> None:
    """Import a bank statement CSV for an account: all lines or none, idempotently."""
    try:
        rows = statement_file.read_statement(file, statement_file.parse_mapping(mapping))
    except statement_file.StatementFileError as exc:
        raise click.ClickException(str(exc)) from exc
    with click.progressbar(
        length=len(rows), label=f"importing {file.name}", file=sys.stderr
    ) as bar:
        result = with_ledger(
            lambda ledger: ledger.import_statement(
                account, rows, file.name, date_format, tenant, progress=bar.update
            )
        )
    emit_record(result, as_json, fields=IMPORT_FIELDS)
    if not as_json:
        if result["status"] == "duplicate":
            click.echo("this file was imported before: nothing added")
        elif result["skipped"]:
            click.echo(f"{result['skipped']} line(s) were already imported from another file")


@recon.command("run")
@click.option("--date", "day", type=DATE, required=True, help="Business date (YYYY-MM-DD).")
@click.option("--account", required=True, help="The ledger account to reconcile.")
@click.option(
    "--tolerance",
    default="0.01",
    show_default=True,
    callback=tolerance_value,
    help="Largest amount difference that still matches (inclusive).",
)
@book_options
def run_command(
    day: datetime, account: str, tolerance: Decimal, tenant: str, as_json: bool
) -> None:
    """Match the account's statement lines with its legs of that date; list the exceptions."""

    async def call(ledger: Any) -> recon_report.Report:
        await ledger.recon_run(account, business_date(day), tolerance, tenant)
        summaries, items = await ledger.recon_report(business_date(day), account, tenant)
        return recon_report.build(business_date(day), summaries, items)

    report = with_ledger(call)
    (account_report,) = report.accounts
    if as_json:
        click.echo(jsonio.dumps(recon_report.api_document(account_report)).decode())
        return
    emit_record(account_report.summary, False, fields=SUMMARY_FIELDS)
    click.echo("")
    emit_rows(account_report.exceptions, EXCEPTION_COLUMNS, False, empty="no exceptions")


@recon.command("exceptions")
@click.option("--date", "day", type=DATE, required=True, help="Business date (YYYY-MM-DD).")
@click.option("--account", default=None, help="The account (may be left out when only one was).")
@page_options
@book_options
def exceptions_command(
    day: datetime, account: str | None, cursor: str | None, limit: int, tenant: str, as_json: bool
) -> None:
    """A date's reconciliation exceptions, a page at a time (every account, or one)."""
    _, items = with_ledger(
        lambda ledger: ledger.recon_exceptions(business_date(day), account, cursor, limit, tenant)
    )
    columns = [("account", "account"), *EXCEPTION_COLUMNS]
    emit_page(items, columns, as_json, empty="no exceptions", continues=len(items) == limit)


@recon.command("report")
@click.option("--date", "day", type=DATE, required=True, help="Business date (YYYY-MM-DD).")
@click.option("--account", default=None, help="Only this account (default: every account).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write into (created when missing).",
)
@click.option(
    "--format",
    "formats",
    default="csv,json,html",
    show_default=True,
    callback=formats_value,
    help="Comma-separated: csv, json, html.",
)
@book_options
def report_command(
    day: datetime,
    account: str | None,
    out_dir: Path,
    formats: list[str],
    tenant: str,
    as_json: bool,
) -> None:
    """Write the date's matches, exceptions and summary as CSV, JSON and HTML."""
    summaries, items = with_ledger(
        lambda ledger: ledger.recon_report(business_date(day), account, tenant)
    )
    report = recon_report.build(business_date(day), summaries, items)
    written = recon_report.write(report, out_dir, formats, account)
    rows = [
        {
            "account": a.summary["account"],
            "matched": a.summary["matched"],
            "exceptions": a.summary["unmatched"],
            "difference": a.summary["difference"],
        }
        for a in report.accounts
    ]
    if as_json:
        click.echo(jsonio.dumps({"accounts": rows, "files": [str(p) for p in written]}).decode())
        return
    click.echo(
        table(
            rows,
            [
                ("account", "account"),
                ("matched", "matched"),
                ("exceptions", "exceptions"),
                ("difference", "difference"),
            ],
        )
    )
    for path in written:
        click.echo(f"wrote {path}")
