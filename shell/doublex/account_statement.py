"""An account statement as people and programs read it: an aligned table and CSV, made a
page of records at a time as the CLI reads them, and the months a PDF shows one page each
(doublex.statement_pdf). The records are ledger.account_statement's
(doublex.db.ledger_statement): nothing here computes a balance; a month's opening and
closing are the running balances the ledger gave around it.
"""

from __future__ import annotations

import calendar
import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import chain

from doublex.cells import text_of
from doublex.db.ledger_statement import COLUMNS, Record, Statement
from doublex.db.runner import Row
from doublex.recon_report import formula_safe

# The statement's columns as CSV writes them: every column of ledger.account_statement
# but the cursor (the REST paging's, meaningless in a file).
CSV_FIELDS = COLUMNS[:-1]
# The table's headers; the last three columns (amounts) are right-aligned.
TABLE_HEADERS = ("date", "journal", "memo", "ref", "debit", "credit", "balance")
TABLE_AMOUNTS = 3
FORMATS = ("table", "csv", "pdf")

# The table and CSV render records read with `texts=True` (Ledger.whole_statement): ids and
# amounts are already the text `doublex.cells` gives them; dates, timestamps, leg numbers
# and a caller's text are not.
_timestamp = text_of(datetime)


def _spreadsheet_text(text: str | None) -> str:
    return "" if text is None else formula_safe(text)


class CsvText:
    """The CSV file, a page of records at a time: one line per row, with a header; a text
    cell that starts like a formula is quoted for spreadsheets, as in the reconciliation
    files. Dates, ids and numbers are as str() writes them, which is what `cell` gives.

    A page none of whose cells holds a comma, a double quote or a line break is written as
    its cells joined by commas: what the csv module writes for such cells (it quotes only
    those), at a fraction of its cost. Any other page is written by the csv module."""

    def __init__(self) -> None:
        self._out = io.StringIO()
        self._writer = csv.writer(self._out, lineterminator="\n")
        self._writer.writerow(CSV_FIELDS)

    def add(self, records: Iterable[Record]) -> None:
        lines = list(map(_csv_line, records))
        text = "\n".join(map(",".join, lines))
        if _plain(text, len(lines)):
            self._out.write(text + "\n")
        else:
            self._writer.writerows(lines)

    def text(self) -> str:
        return self._out.getvalue()


def _csv_line(record: Record) -> tuple[str, ...]:
    """A record's cells as text (an empty cell for NULL), the cursor left out."""
    (kind, day, journal, leg_no, created_at, journal_kind, reverses, memo, ref, side, amount,
     debits, credits, balance, _cursor) = record  # fmt: skip
    return (kind, day.isoformat(), journal or "", "" if leg_no is None else str(leg_no),
            "" if created_at is None else _timestamp(created_at), journal_kind or "",
            reverses or "", _spreadsheet_text(memo), _spreadsheet_text(ref), side or "",
            amount or "", debits or "", credits or "", balance or "")  # fmt: skip


def _plain(text: str, lines: int) -> bool:
    """`lines` lines joined: no cell holds a separator, a quote or a line break."""
    return (
        text.count(",") == lines * (len(CSV_FIELDS) - 1)
        and text.count("\n") == lines - 1
        and '"' not in text
        and "\r" not in text
    )


class TableText:
    """The aligned table, a page of records at a time: amounts under debit or credit, the
    opening and closing rows named in the memo column (with the period's totals on the
    closing one); numbers right-aligned so decimal points line up."""

    def __init__(self) -> None:
        self._columns: list[list[str]] = [[] for _ in TABLE_HEADERS]

    def add(self, records: Iterable[Record]) -> None:
        days, journals, memos, refs, debit, credit, balances = self._columns
        for (kind, day, journal, _, _, _, _, memo, ref, side, amount, debits, credits, balance,
             _) in records:  # fmt: skip
            days.append(day.isoformat())
            balances.append(balance)
            if kind == "leg":
                journals.append(journal)
                memos.append(memo or "")
                refs.append(ref or "")
                debit.append(amount if side == "debit" else "")
                credit.append(amount if side == "credit" else "")
            else:
                journals.append("")
                memos.append(f"{kind} balance")
                refs.append("")
                debit.append(debits or "")
                credit.append(credits or "")

    def text(self) -> str:
        """The table, a line per row under the header and its rule."""
        widths = [
            max(len(header), max(map(len, texts), default=0))
            for header, texts in zip(TABLE_HEADERS, self._columns, strict=True)
        ]
        amounts = len(TABLE_HEADERS) - TABLE_AMOUNTS  # %10s right-aligns, %-10s left-aligns
        line = "  ".join(f"%{'' if n >= amounts else '-'}{w}s" for n, w in enumerate(widths))
        rule = tuple("-" * width for width in widths)
        rows = chain((TABLE_HEADERS, rule), zip(*self._columns, strict=True))
        return "\n".join(map(str.rstrip, map(line.__mod__, rows))) + "\n"


# -- one page per month --------------------------------------------------------------------


@dataclass
class Month:
    """The part of the period in one calendar month: its legs and the balances around them."""

    first: date
    last: date
    opening: Decimal
    closing: Decimal
    legs: list[Row] = field(default_factory=list)

    def total(self, side: str) -> Decimal:
        zero = self.opening * 0  # at the currency's scale, as the ledger gives amounts
        return sum((leg["amount"] for leg in self.legs if leg["side"] == side), zero)


def months(statement: Statement) -> list[Month]:
    """The period cut at month ends: each month opens on the previous one's closing (the
    first on the statement's opening) and closes on its last leg's running balance."""
    rows = statement.rows
    first, last = rows[0]["effective_date"], rows[-1]["effective_date"]
    balance: Decimal = rows[0]["balance"]
    legs = iter(row for row in rows if row["kind"] == "leg")
    pending = next(legs, None)
    out: list[Month] = []
    start = first
    while start <= last:
        end = min(last, start.replace(day=calendar.monthrange(start.year, start.month)[1]))
        month = Month(start, end, balance, balance)
        while pending is not None and pending["effective_date"] <= end:
            month.legs.append(pending)
            balance = month.closing = pending["balance"]
            pending = next(legs, None)
        out.append(month)
        start = end + timedelta(days=1)
    return out
