"""`doublex statement` end to end: click's CliRunner with DOUBLEX_DSN at the test's database.
The CSV read back equals ledger.account_statement's rows (queried straight, not through the
shell); the table shows them; the PDF, read back with pypdf, has a page per month (more for
a month whose legs do not fit) with each month's closing balance and page numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from psycopg.rows import dict_row
from pypdf import PdfReader

from doublex import statement_pdf
from doublex.db import Ledger
from support.statements import JOURNALS, seed
from test_cli_ledger import run


@pytest.fixture
async def today(ledger: Ledger) -> AsyncIterator[date]:
    yield await seed(ledger)


@pytest.fixture
def cli(admin_dsn: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DOUBLEX_DSN", admin_dsn)
    monkeypatch.delenv("DOUBLEX_SERVICE_DSN", raising=False)
    return CliRunner()


def sql_rows(admin_dsn: str, code: str, first: date, last: date) -> list[dict[str, Any]]:
    with psycopg.connect(admin_dsn, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT * FROM ledger.account_statement(%s, %s, %s, page_size => 1000)",
            (code, first, last),
        ).fetchall()


def as_text(value: Any) -> str:
    """How the CSV writes a value: exact decimals, ISO dates, timestamps to the second."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, (date, Decimal)):
        return value.isoformat() if isinstance(value, date) else format(value, "f")
    if isinstance(value, str) and value.startswith("="):
        return "'" + value  # quoted for spreadsheets
    return str(value)


def test_csv_read_back_equals_the_ledgers_rows(cli: CliRunner, today: date, admin_dsn: str) -> None:
    first = today - timedelta(days=120)
    out = run(cli, "statement", "CASH", "--from", str(first), "--to", str(today), "--format", "csv")
    lines = list(csv.DictReader(io.StringIO(out.stdout)))
    expected = sql_rows(admin_dsn, "CASH", first, today)
    assert len(expected) == JOURNALS + 3  # opening, every journal, the reversal, closing
    assert lines == [
        {name: as_text(row[name]) for name in row if name != "cursor"} for row in expected
    ]
    assert any(line["memo"].startswith("'=") for line in lines)


def test_table_shows_every_leg_between_opening_and_closing(
    cli: CliRunner, today: date, admin_dsn: str
) -> None:
    first = today - timedelta(days=45)
    expected = sql_rows(admin_dsn, "SALES", first, today)
    lines = run(cli, "statement", "SALES", "--from", str(first), "--to", str(today)).stdout
    header, rule, *body = lines.splitlines()
    assert header.split() == ["date", "journal", "memo", "ref", "debit", "credit", "balance"]
    assert set(rule) == {"-", " "} and len(body) == len(expected)
    assert "opening balance" in body[0] and "closing balance" in body[-1]
    assert body[-1].split()[-1] == format(expected[-1]["balance"], "f")
    legs = [row for row in expected if row["kind"] == "leg"]
    for line, leg in zip(body[1:-1], legs, strict=True):
        assert line.startswith(f"{leg['effective_date']}  {leg['journal_id']}")
        assert line.split()[-1] == format(leg["balance"], "f")


def month_closings(rows: list[dict[str, Any]]) -> dict[tuple[int, int], Decimal]:
    """Each month's closing balance: its last leg's running balance, else the previous one."""
    balance: Decimal = rows[0]["balance"]
    closings: dict[tuple[int, int], Decimal] = {}
    day = rows[0]["effective_date"]
    legs = [row for row in rows if row["kind"] == "leg"]
    while day <= rows[-1]["effective_date"]:
        for leg in legs:
            if (leg["effective_date"].year, leg["effective_date"].month) == (day.year, day.month):
                balance = leg["balance"]
        closings[(day.year, day.month)] = balance
        day += timedelta(days=1)
    return closings


def test_pdf_has_a_page_per_month_with_its_closing_balance(
    cli: CliRunner, today: date, admin_dsn: str, tmp_path: Path
) -> None:
    first = today - timedelta(days=110)
    target = tmp_path / "cash.pdf"
    run(cli, "statement", "CASH", "--from", str(first), "--to", str(today), "--format", "pdf",
        "--output", str(target))  # fmt: skip
    pages = [page.extract_text() for page in PdfReader(target).pages]
    closings = month_closings(sql_rows(admin_dsn, "CASH", first, today))
    assert len(pages) >= len(closings) >= 4
    for (year, month), closing in closings.items():
        start = max(first, date(year, month, 1))
        page = next(text for text in pages if f"Period {start}" in text)
        assert f"Closing balance {closing} EUR" in page, page
    assert all(f"Page {n} of {len(pages)}" in text for n, text in enumerate(pages, 1))
    assert "Account CASH - Cash at bank" in pages[0] and "Book default" in pages[0]


async def test_a_busy_month_continues_onto_more_pages(ledger: Ledger, tmp_path: Path) -> None:
    today = await ledger.business_date()
    await ledger.create_account("BUSY", "Busy till", "EUR")
    await ledger.create_account("TAKINGS", "Takings", "EUR", "income")
    batch = [
        {"idempotency_key": f"busy-{n}", "effective_date": today.isoformat(),
         "memo": f"ticket {n}", "legs": [
             {"account": "BUSY", "side": "debit", "amount": "1.00", "ccy": "EUR"},
             {"account": "TAKINGS", "side": "credit", "amount": "1.00", "ccy": "EUR"}]}
        for n in range(150)
    ]  # fmt: skip
    await ledger.post_journals(batch)
    statement = await ledger.whole_statement("BUSY", today.replace(day=1), today)
    reader = PdfReader(io.BytesIO(statement_pdf.pdf_bytes(statement, "default")))
    texts = [page.extract_text() for page in reader.pages]
    assert len(texts) >= 3
    assert all("Date Journal Description" in text for text in texts)  # the header repeats
    assert "continued, page 2 of the month" in texts[1]
    assert "Closing balance 150.00 EUR" in texts[-1] and "Totals (EUR) 150.00 0.00" in texts[-1]
    assert sum(text.count("ticket ") for text in texts) == 150


def test_errors_are_the_ledgers(cli: CliRunner, today: date) -> None:
    later = today - timedelta(days=1)
    failed = run(cli, "statement", "NOPE", "--from", str(today), "--to", str(today), code=1)
    assert "error DX020" in failed.stderr
    failed = run(cli, "statement", "CASH", "--from", str(today), "--to", str(later), code=1)
    assert "error DX029" in failed.stderr and "field: from_date" in failed.stderr


async def unicode_statement(ledger: Ledger) -> tuple[Any, str]:
    today = await ledger.business_date()
    await ledger.create_account("KASA", "Kasa Łódź", "EUR")
    await ledger.create_account("INCOME", "Έσοδα", "EUR", "income")
    memo = "Оплата заказа №7 — Ελλάδα"
    await ledger.post_journal(
        "unicode-1",
        [{"account": "KASA", "side": "debit", "amount": "12.50", "ccy": "EUR"},
         {"account": "INCOME", "side": "credit", "amount": "12.50", "ccy": "EUR"}],
        memo=memo,
    )  # fmt: skip
    return await ledger.whole_statement("KASA", today.replace(day=1), today), memo


async def test_pdf_prints_names_and_memos_as_written(ledger: Ledger) -> None:
    statement, memo = await unicode_statement(ledger)
    reader = PdfReader(io.BytesIO(statement_pdf.pdf_bytes(statement, "default")))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Account KASA - Kasa Łódź" in text, text
    assert memo[:20] in text, text  # the column may cut its end with "..."
    fonts = {
        font.get_object()["/BaseFont"] for font in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert all("DejaVuSans" in font for font in fonts), fonts  # embedded subsets: ABCDEF+DejaVuSans
    assert "?" not in text


async def test_pdf_without_dejavu_falls_back_to_latin1_and_says_so(
    ledger: Ledger,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    statement, _ = await unicode_statement(ledger)
    monkeypatch.setattr(
        statement_pdf, "UNICODE_FONT", {"": tmp_path / "none.ttf", "B": tmp_path / "none-bold.ttf"}
    )
    reader = PdfReader(io.BytesIO(statement_pdf.pdf_bytes(statement, "default")))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Account KASA - Kasa ?ód?" in text, text
    assert "fonts-dejavu-core is not installed" in capsys.readouterr().err
