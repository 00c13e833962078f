"""Report rendering without a database: grouping, the API document, escaping, big reports."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from doublex import recon_report
from doublex.statement_file import parse_mapping, read_rows

DAY = date(2026, 11, 20)
SUMMARY: dict[str, Any] = {
    "run_id": 7,
    "account": "CASH",
    "ccy": "EUR",
    "business_date": DAY,
    "tolerance": Decimal("0.01"),
    "ran_at": datetime(2026, 11, 20, 18, tzinfo=UTC),
    "statement_lines": 1002,
    "legs": 1002,
    "matched": 1001,
    "unmatched": 2,
    "amount_mismatch": 0,
    "missing_in_ledger": 1,
    "missing_in_bank": 1,
    "bank_total": Decimal("1234567.89"),
    "ledger_total": Decimal("1234577.89"),
    "difference": Decimal("-10.00"),
}


def item(kind: str, line: int | None, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "account": "CASH",
        "business_date": DAY,
        "kind": kind,
        "match_pass": None,
        "line": line,
        "file_name": "s.csv",
        "ref": None,
        "description": None,
        "bank_amount": None,
        "journal_id": None,
        "leg_no": None,
        "journal_ref": None,
        "ledger_amount": None,
        "amount": Decimal("0"),
        "delta": Decimal("0"),
    }
    return base | extra


def test_html_escapes_and_limits_the_matched_pairs() -> None:
    leg = UUID("01a1fd37-e3ed-7703-97d3-c5a353ce5ef4")
    items = [
        item(
            "missing_in_ledger",
            2,
            ref="<script>alert(1)</script>",
            amount=Decimal("5.00"),
            bank_amount=Decimal("5.00"),
            delta=Decimal("5.00"),
        ),
        item(
            "missing_in_bank",
            None,
            journal_id=leg,
            leg_no=1,
            journal_ref="J&1",
            ledger_amount=Decimal("-15.00"),
            amount=Decimal("-15.00"),
            delta=Decimal("15.00"),
        ),
    ] + [
        item("matched", 3 + n, match_pass=1, ref=f"R{n}", journal_id=leg, leg_no=1)
        for n in range(1001)
    ]
    report = recon_report.build(DAY, [SUMMARY], items)
    page = recon_report.to_html(report)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "J&amp;1" in page
    assert "The first 1,000 of 1,001 matched pairs" in page
    assert '<div class="value">1,234,567.89</div>' in page
    assert '<div class="value">-10.00</div>' in page
    assert recon_report.api_document(report.accounts[0])["exceptions"][1] == {
        "kind": "missing_in_bank",
        "ref": "J&1",
        "delta": Decimal("15.00"),
        "amount": Decimal("-15.00"),
        "line": None,
    }
    exceptions_csv = recon_report.csv_files(report)["exceptions"].splitlines()
    assert len(exceptions_csv) == 3 and "01a1fd37-e3ed-7703-97d3-c5a353ce5ef4" in exceptions_csv[2]


def test_statement_rows_keep_their_line_numbers() -> None:
    text = 'Day,Ref,Sum\n2026-11-20,"multi\nline",1.00\n\n2026-11-21,B,2.00,extra\n2026-11-22\n'
    rows = read_rows(text.splitlines(keepends=True), parse_mapping("date=Day,amount=Sum"))
    assert [r[0] for r in rows] == [2, 5, 6]
    assert rows[1][7] == 1  # one field more than the header
    assert rows[0][1:4] == ("2026-11-20", "multi\nline", "1.00")
    assert rows[2][3] is None  # a short line: the missing amount is reported by the ledger


def test_csv_cells_never_start_a_formula() -> None:
    """A bank file's text (ref, description, file name) that starts like a spreadsheet
    formula is quoted with an apostrophe; amounts, negative ones included, are not."""
    item = {
        "account": "1001-CASH",
        "kind": "missing_in_ledger",
        "match_pass": None,
        "line": 2,
        "file_name": "=cmd|' /C calc'!A0.csv",
        "ref": '=HYPERLINK("http://evil.example","x")',
        "description": "+1+1",
        "bank_amount": Decimal("-12.50"),
        "journal_id": None,
        "leg_no": None,
        "journal_ref": "@SUM(A1)",
        "ledger_amount": None,
        "amount": Decimal("-12.50"),
        "delta": Decimal("-12.50"),
    }
    for value, shown in (
        ("-2+3", "'-2+3"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("|x", "'|x"), ("ok", "ok"),
        (Decimal("-1.00"), "-1.00"), (None, ""),
    ):  # fmt: skip
        assert recon_report.spreadsheet_cell(value) == shown
    summary = {"account": "1001-CASH", **{name: 0 for name in recon_report.SUMMARY_FIELDS[1:]}}
    report = recon_report.build(date(2026, 11, 20), [summary], [item])
    row = recon_report.csv_files(report)["exceptions"].splitlines()[1]
    assert "'=cmd" in row and "'=HYPERLINK" in row and "'+1+1" in row and "'@SUM" in row
    assert ",-12.50," in row
