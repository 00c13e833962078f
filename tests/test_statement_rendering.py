"""How `doublex statement` makes its table and CSV: a page of records at a time, from records
read with `texts=True` (ids and amounts as PostgreSQL writes them).

The CSV equals what the csv module writes for the same cells and the table the CLI's generic
table of the typed rows, whatever the callers' texts and however the records are paged (the
CSV's shortcut for pages with nothing to quote included); the texts are the typed values'
`cell` text; and the pages reach `each_page` in order while the next one is read, an error
there leaving the ledger usable.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doublex import errors
from doublex.account_statement import CSV_FIELDS, TABLE_HEADERS, CsvText, TableText
from doublex.cells import cell
from doublex.cli.output import table
from doublex.db import Ledger
from doublex.db.ledger_statement import COLUMNS, Record
from doublex.recon_report import spreadsheet_cell
from support.dates import day
from support.statements import seed

# A caller's text: what a spreadsheet or the csv module treats specially, and anything else.
TEXTS = st.one_of(
    st.none(),
    st.text(alphabet=st.sampled_from(',"\r\n\t =+-@|ab é'), max_size=8),
    st.text(max_size=8),
)
AMOUNTS = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2)
DAY = day("2026-03-31")


def typed_records(texts: list[tuple[str | None, str | None]], amount: Decimal) -> list[Record]:
    """A statement's records as ledger.account_statement types them: an opening row, a leg
    per (memo, ref), alternately debit and credit, and a closing row."""
    created = datetime.combine(DAY, time(9, 30, 15, 123456), tzinfo=UTC)
    legs: list[Record] = [
        ("leg", DAY, uuid.UUID(int=n), 1 + n % 2, created, "transfer",
         uuid.UUID(int=7) if n % 3 == 0 else None, memo, ref, ("debit", "credit")[n % 2],
         amount * n, None, None, amount * 2 * n, f"cursor-{n}")
        for n, (memo, ref) in enumerate(texts)
    ]  # fmt: skip
    opening: Record = ("opening", DAY, *([None] * 11), Decimal("0.00"), None)
    closing: Record = ("closing", DAY, *([None] * 9), Decimal("1.00"), Decimal("2.50"),
                       Decimal("-1.50"), None)  # fmt: skip
    return [opening, *legs, closing]


def as_texts(record: Record) -> Record:
    """The record as `texts=True` reads it: ids and amounts as text."""
    return tuple(
        cell(value) if isinstance(value, (uuid.UUID, Decimal)) else value for value in record
    )


def csv_module_text(records: list[Record]) -> str:
    """The CSV as the csv module writes the typed cells (formula-like texts quoted)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for record in records:
        writer.writerow([spreadsheet_cell(value) for value in record[:-1]])
    return out.getvalue()


def rendered(rendering: CsvText | TableText, records: list[Record], page_size: int) -> str:
    """The text of `records` given to `rendering` (as `texts=True` reads them) in pages."""
    for start in range(0, len(records), page_size):
        rendering.add([as_texts(record) for record in records[start : start + page_size]])
    return rendering.text()


def old_table_rows(records: list[Record]) -> list[dict[str, Any]]:
    """The rows `doublex statement` printed with the CLI's generic table before it rendered
    a page at a time: amounts under debit or credit, opening and closing named in memo."""
    rows = []
    for record in records:
        row = dict(zip(COLUMNS, record, strict=True))
        if row["kind"] == "leg":
            rows.append({"effective_date": row["effective_date"], "journal_id": row["journal_id"],
                         "memo": row["memo"], "ref": row["ref"], row["side"]: row["amount"],
                         "balance": row["balance"]})  # fmt: skip
        else:
            rows.append({"effective_date": row["effective_date"],
                         "memo": f"{row['kind']} balance", "debit": row["debits"],
                         "credit": row["credits"], "balance": row["balance"]})  # fmt: skip
    return rows


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(TEXTS, TEXTS), max_size=12), AMOUNTS, st.integers(min_value=1, max_value=5)
)
def test_csv_and_table_are_the_csv_modules_and_the_clis_table(
    texts: list[tuple[str | None, str | None]], amount: Decimal, page_size: int
) -> None:
    records = typed_records(texts, amount)
    assert rendered(CsvText(), records, page_size) == csv_module_text(records)
    keys = ("effective_date", "journal_id", "memo", "ref", "debit", "credit", "balance")
    columns = list(zip(keys, TABLE_HEADERS, strict=True))
    table_text = table(old_table_rows(records), columns) + "\n"
    assert rendered(TableText(), records, page_size) == table_text


def test_csv_shortcut_and_csv_module_pages_mix() -> None:
    plain = [("sale", "R-1")] * 3
    special = [('a "quoted", memo', "line\nbreak"), ("carriage\rreturn", "=SUM(A1)")]
    records = typed_records(plain + special + plain, Decimal("1.10"))
    text = rendered(CsvText(), records, 3)
    assert text == csv_module_text(records)
    assert '"a ""quoted"", memo"' in text and "'=SUM(A1)" in text


async def test_texts_are_the_typed_values_cells(ledger: Ledger) -> None:
    today = await seed(ledger)
    first = today - timedelta(days=120)
    typed = await ledger.whole_statement("CASH", first, today)
    texts = await ledger.whole_statement("CASH", first, today, texts=True)
    assert len(texts.records) == len(typed.records) > 3
    for typed_record, text_record in zip(typed.records, texts.records, strict=True):
        for value, text in zip(typed_record, text_record, strict=True):
            if isinstance(value, (uuid.UUID, Decimal)):
                assert text == cell(value)
            else:
                assert text == value


async def test_each_page_is_heard_in_order_and_an_error_there_stops_the_reading(
    ledger: Ledger,
) -> None:
    today = await ledger.business_date()
    await ledger.create_account("TILL", "Till", "EUR")
    await ledger.create_account("TAKINGS", "Takings", "EUR", "income")
    legs = 10_050  # more than one page of api_limit('statement_page_legs') = 10,000
    for start in range(0, legs, 1000):
        batch = [
            {"idempotency_key": f"till-{n}", "effective_date": today.isoformat(),
             "legs": [{"account": "TILL", "side": "debit", "amount": "1.00", "ccy": "EUR"},
                      {"account": "TAKINGS", "side": "credit", "amount": "1.00", "ccy": "EUR"}]}
            for n in range(start, min(start + 1000, legs))
        ]  # fmt: skip
        await ledger.post_journals(batch)
    heard: list[list[Record]] = []
    statement = await ledger.whole_statement("TILL", today, today, None, heard.append)
    assert [len(page) for page in heard] == [1 + 10_000, 50 + 1]
    assert [record for page in heard for record in page] == statement.records
    assert statement.rows[-1]["balance"] == Decimal("10050.00")

    def refuse(page: list[Record]) -> None:
        raise RuntimeError("the disk is full")

    with pytest.raises(errors.InternalError) as failure:
        await ledger.whole_statement("TILL", today, today, None, refuse)
    assert isinstance(failure.value.__cause__, RuntimeError)
    again = await ledger.whole_statement("TILL", today, today, texts=True)
    assert again.records[-1][COLUMNS.index("balance")] == "10050.00"
