"""An account statement as people and programs read it: the rows of an aligned table, CSV,
and the months a PDF shows one page each (doublex.statement_pdf). The rows are
ledger.account_statement's (doublex.db.ledger_statement): nothing here computes a balance;
a month's opening and closing are the running balances the ledger gave around it.
"""

from __future__ import annotations

import calendar
import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any, TextIO

from doublex.cells import text_of
from doublex.db.ledger_statement import Statement
from doublex.db.runner import Row
from doublex.recon_report import formula_safe

# The statement's columns as CSV writes them: every column of ledger.account_statement
# but the cursor (the REST paging's, meaningless in a file).
CSV_FIELDS = (
    "kind", "effective_date", "journal_id", "leg_no", "created_at", "journal_kind", "reverses",
    "memo", "ref", "side", "amount", "debits", "credits", "balance",
)  # fmt: skip
# The columns whose text is not what the csv module writes by itself (str(), None as ""):
# timestamps to the second, amounts in plain digits (never 1E+2), and a caller's text (memo,
# ref) that could look like a formula. Dates, ids, numbers and the ledger's words are as
# str() writes them, which is what `cell` gives too.
_CSV_TEXTS: tuple[tuple[int, Callable[[Any], str]], ...] = tuple(
    (CSV_FIELDS.index(name), text)
    for names, text in (
        (("created_at",), text_of(datetime)),
        (("memo", "ref"), formula_safe),
        (("amount", "debits", "credits", "balance"), text_of(Decimal)),
    )
    for name in names
)
TABLE_COLUMNS = [
    ("effective_date", "date"),
    ("journal_id", "journal"),
    ("memo", "memo"),
    ("ref", "ref"),
    ("debit", "debit"),
    ("credit", "credit"),
    ("balance", "balance"),
]
FORMATS = ("table", "csv", "pdf")


def table_rows(statement: Statement) -> Iterator[Row]:
    """The rows as the table shows them: amounts under debit or credit, the opening and
    closing rows named in the memo column (with the period's totals on the closing one)."""
    for row in statement.rows:
        if row["kind"] == "leg":
            yield {"effective_date": row["effective_date"], "journal_id": row["journal_id"],
                   "memo": row["memo"], "ref": row["ref"], row["side"]: row["amount"],
                   "balance": row["balance"]}  # fmt: skip
        else:
            yield {"effective_date": row["effective_date"], "memo": f"{row['kind']} balance",
                   "debit": row["debits"], "credit": row["credits"],
                   "balance": row["balance"]}  # fmt: skip


def write_csv(statement: Statement, out: TextIO) -> None:
    """One line per row, with a header; a text cell that starts like a formula is quoted
    for spreadsheets, as in the reconciliation files."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    pick = itemgetter(*CSV_FIELDS)
    for row in statement.rows:
        values = list(pick(row))
        for index, text in _CSV_TEXTS:
            if values[index] is not None:
                values[index] = text(values[index])
        writer.writerow(values)


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
