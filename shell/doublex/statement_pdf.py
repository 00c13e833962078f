"""An account statement as a PDF a person would send to a customer: A4, one page per month
of the period (a month whose legs do not fit continues onto further pages with the header
repeated), with the book, the account, its currency, the month's opening and closing
balance, the legs with their running balance, the month's totals and page numbers.

It uses fpdf2 (maintained, pure Python) with DejaVu Sans from Debian's `fonts-dejavu-core`
(`make deps` installs it), embedded as a subset, so names and memos in Latin, Greek and
Cyrillic scripts print as written ("Łódź", "Ελλάδα", "Москва"). Where that package is
missing the statement falls back to the PDF core font Helvetica, which has Latin-1 only (other
characters print as `?`), and says so on stderr. The CLI imports this module only for
`--format pdf` (fpdf2 takes a third of a second to import).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from doublex.account_statement import Month, months
from doublex.cells import cell
from doublex.db.ledger_statement import Statement
from doublex.db.runner import Row

# Debian's fonts-dejavu-core (the same path on Ubuntu): regular and bold.
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
UNICODE_FONT = {"": DEJAVU / "DejaVuSans.ttf", "B": DEJAVU / "DejaVuSans-Bold.ttf"}
FALLBACK_WARNING = (
    "doublex: fonts-dejavu-core is not installed (apt-get install fonts-dejavu-core): the PDF "
    "uses Helvetica, and characters outside Latin-1 print as '?'"
)


# Columns of the legs table: header, width in mm, alignment, the text of a leg.
PDF_COLUMNS: Sequence[tuple[str, float, str]] = (
    ("Date", 17, "L"),
    ("Journal", 50, "L"),
    ("Description", 37, "L"),
    ("Reference", 20, "L"),
    ("Debit", 22, "R"),
    ("Credit", 22, "R"),
    ("Balance", 22, "R"),
)
ROW_HEIGHT = 4.2


class _StatementPdf(FPDF):
    """A4 with page numbers, in DejaVu Sans where installed, else in Helvetica (Latin-1)."""

    def __init__(self) -> None:
        super().__init__(format="A4")
        self.unicode = all(path.is_file() for path in UNICODE_FONT.values())
        if self.unicode:
            for style, path in UNICODE_FONT.items():
                self.add_font("DejaVu", style, str(path))
        else:
            print(FALLBACK_WARNING, file=sys.stderr)

    def use_font(self, size: float, bold: bool = False) -> None:
        self.set_font("DejaVu" if self.unicode else "Helvetica", "B" if bold else "", size)

    def printable(self, text: str) -> str:
        """The text as the font can print it: as written, or Latin-1 with `?` for the rest."""
        return text if self.unicode else text.encode("latin-1", "replace").decode("latin-1")

    def footer(self) -> None:
        self.set_y(-12)
        self.use_font(7)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")


def _fit(pdf: _StatementPdf, text: str, width: float, amount: bool) -> str:
    """The text to fit the column: an amount in a smaller font (never cut), other text cut
    with an ellipsis."""
    text = pdf.printable(text)
    while amount and pdf.get_string_width(text) > width - 2 and pdf.font_size_pt > 3:
        pdf.set_font_size(pdf.font_size_pt - 0.5)
    if amount or pdf.get_string_width(text) <= width - 2:
        return text
    while text and pdf.get_string_width(text + "...") > width - 2:
        text = text[:-1]
    return text + "..."


def _leg_cells(leg: Row) -> list[str]:
    amount = cell(leg["amount"])
    return [
        cell(leg["effective_date"]),
        cell(leg["journal_id"]),
        cell(leg["memo"]) + (" (reversal)" if leg["journal_kind"] == "reversal" else ""),
        cell(leg["ref"]),
        amount if leg["side"] == "debit" else "",
        amount if leg["side"] == "credit" else "",
        cell(leg["balance"]),
    ]


def _month_header(
    pdf: _StatementPdf, statement: Statement, tenant: str, month: Month, page: int
) -> None:
    account = statement.account
    pdf.add_page()
    pdf.use_font(14, bold=True)
    pdf.cell(0, 8, "Account statement", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.use_font(9)
    lines = [
        ("Book", tenant),
        ("Account", f"{account['code']} - {account['name']}"),
        ("Currency", account["ccy"]),
        ("Period", f"{cell(month.first)} to {cell(month.last)}"
                   + (f" (continued, page {page + 1} of the month)" if page else "")),
        ("Opening balance", f"{cell(month.opening)} {account['ccy']}"),
        ("Closing balance", f"{cell(month.closing)} {account['ccy']}"),
    ]  # fmt: skip
    for label, value in lines:
        pdf.use_font(9, bold=True)
        pdf.cell(32, 5, label)
        pdf.use_font(9)
        pdf.cell(0, 5, pdf.printable(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.use_font(8, bold=True)
    pdf.set_fill_color(230, 230, 230)
    for header, width, align in PDF_COLUMNS:
        pdf.cell(width, 6, header, border="B", align=align, fill=True)
    pdf.ln(6)
    pdf.use_font(7)


def _row(pdf: _StatementPdf, texts: Sequence[str], bold: bool = False) -> None:
    for text, (_, width, align) in zip(texts, PDF_COLUMNS, strict=True):
        pdf.use_font(7, bold)
        pdf.cell(width, ROW_HEIGHT, _fit(pdf, text, width, align == "R"), align=align)
    pdf.ln(ROW_HEIGHT)


def pdf_bytes(
    statement: Statement, tenant: str, on_month: Callable[[Month], None] | None = None
) -> bytes:
    """The statement as a PDF: one page per month, more when a month's legs do not fit."""
    pdf = _StatementPdf()
    pdf.set_auto_page_break(False)
    pdf.set_margins(10, 10, 10)
    ccy = statement.account["ccy"]
    bottom = pdf.h - 18
    for month in months(statement):
        page = 0
        _month_header(pdf, statement, tenant, month, page)
        _row(pdf, [cell(month.first), "", "Opening balance", "", "", "", cell(month.opening)], True)
        if not month.legs:
            _row(pdf, ["", "", "No transactions in this period", "", "", "", ""])
        for leg in month.legs:
            if pdf.get_y() + ROW_HEIGHT > bottom:
                page += 1
                _month_header(pdf, statement, tenant, month, page)
            _row(pdf, _leg_cells(leg))
        if pdf.get_y() + 2 * ROW_HEIGHT > bottom:
            page += 1
            _month_header(pdf, statement, tenant, month, page)
        debits, credits = cell(month.total("debit")), cell(month.total("credit"))
        _row(pdf, ["", "", f"Totals ({ccy})", "", debits, credits, ""], True)
        _row(pdf, [cell(month.last), "", "Closing balance", "", "", "", cell(month.closing)], True)
        if on_month is not None:
            on_month(month)
    return bytes(pdf.output())
