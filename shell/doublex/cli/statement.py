"""Account statements: `doublex statement CODE --from --to [--format table|csv|pdf]`.

doublex statement 1001-CASH --from 2026-01-01 --to 2026-12-31
doublex statement 1001-CASH --from 2026-01-01 --to 2026-12-31 --format pdf --output cash.pdf
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import click

from doublex import account_statement
from doublex.cli.common import DATE, iso_date, tenant_option, with_ledger
from doublex.cli.root import main
from doublex.db.ledger_statement import EFFECTIVE_DATE, Record, Statement


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: a statement's records (100,000 tuples of dates,
    ids and amounts) hold no reference cycles, yet their allocation alone triggers collection
    after collection (a fifth of the command's CPU)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load(
    code: str,
    first: date,
    last: date,
    tenant: str,
    each_page: Callable[[list[Record]], None],
    *,
    texts: bool,
) -> Statement:
    """The whole statement, page after page, with a progress bar over its days on stderr;
    `each_page` hears each page while the database reads the next one."""
    days = max((last - first).days + 1, 1)
    with click.progressbar(length=days, label=f"reading {code}", file=sys.stderr) as bar:

        def page(records: list[Record]) -> None:
            bar.update((records[-1][EFFECTIVE_DATE] - first).days + 1 - bar.pos)
            each_page(records)

        return with_ledger(
            lambda ledger: ledger.whole_statement(code, first, last, tenant, page, texts=texts)
        )


def render(code: str, first: date, last: date, output_format: str, tenant: str) -> bytes:
    """The statement in the chosen format, as the bytes to write. A table or CSV is made a
    page at a time as the pages come; a PDF once it has them all."""
    if output_format == "pdf":
        from doublex import statement_pdf  # fpdf2 is imported for PDFs only

        statement = load(code, first, last, tenant, lambda _: None, texts=False)
        months = account_statement.months(statement)
        with click.progressbar(length=len(months), label="rendering", file=sys.stderr) as bar:
            return statement_pdf.pdf_bytes(statement, tenant, lambda _: bar.update(1))
    rendering: account_statement.CsvText | account_statement.TableText = (
        account_statement.CsvText() if output_format == "csv" else account_statement.TableText()
    )
    load(code, first, last, tenant, rendering.add, texts=True)
    return rendering.text().encode()


@main.command("statement")
@click.argument("code")
@click.option("--from", "from_date", type=DATE, required=True, help="First date.")
@click.option("--to", "to_date", type=DATE, required=True, help="Last date.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(account_statement.FORMATS),
    default="table",
    show_default=True,
    help="table (people), csv (spreadsheets), pdf (one page per month, for a customer).",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of stdout.",
)
@tenant_option
def statement(
    code: str,
    from_date: datetime,
    to_date: datetime,
    output_format: str,
    output: Path | None,
    tenant: str,
) -> None:
    """The statement of account CODE: opening balance, every leg with its running balance,
    closing balance."""
    first, last = iso_date(from_date), iso_date(to_date)
    assert first is not None and last is not None  # required options
    with without_cycle_collection():
        data = render(code, first, last, output_format, tenant)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        output.write_bytes(data)
