"""Reconciliation reports: the API document, CSV files, one JSON document, one HTML page.

Everything here formats what ledger.recon_summaries and ledger.recon_items returned (one
snapshot); no matching happens in Python. Amounts stay exact: Decimal text in CSV and HTML,
strings in JSON. The HTML page is self-contained (inline CSS and a few lines of script to
sort tables, nothing from the internet): summary figures first, exceptions highlighted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from html import escape
from pathlib import Path
from typing import Any

from doublex import jsonio
from doublex.cells import cell

Row = Mapping[str, Any]
FORMATS = ("csv", "json", "html")
# The HTML page lists every exception but only this many matched pairs (all of them are in
# the CSV and JSON files): a page with 100,000 rows helps nobody and weighs 40 MB.
HTML_MATCHES_SHOWN = 1000
EXCEPTION_KINDS = ("amount_mismatch", "missing_in_ledger", "missing_in_bank")
KIND_LABELS = {
    "matched": "matched",
    "amount_mismatch": "amount mismatch",
    "missing_in_ledger": "missing in ledger",
    "missing_in_bank": "missing in bank",
}
SUMMARY_FIELDS = (
    "account",
    "ccy",
    "business_date",
    "tolerance",
    "statement_lines",
    "legs",
    "matched",
    "unmatched",
    "amount_mismatch",
    "missing_in_ledger",
    "missing_in_bank",
    "bank_total",
    "ledger_total",
    "difference",
    "run_id",
    "ran_at",
)
ITEM_FIELDS = (
    "account",
    "kind",
    "match_pass",
    "line",
    "file_name",
    "ref",
    "description",
    "bank_amount",
    "journal_id",
    "leg_no",
    "journal_ref",
    "ledger_amount",
    "amount",
    "delta",
)


@dataclass
class AccountReport:
    summary: Row
    exceptions: list[Row] = field(default_factory=list)
    matches: list[Row] = field(default_factory=list)


@dataclass
class Report:
    business_date: date
    accounts: list[AccountReport]


def build(business_date: date, summaries: Sequence[Row], items: Iterable[Row]) -> Report:
    """Group the items under their account's summary, exceptions apart from matches."""
    by_account = {summary["account"]: AccountReport(summary) for summary in summaries}
    for item in items:
        report = by_account[item["account"]]
        (report.matches if item["kind"] == "matched" else report.exceptions).append(item)
    return Report(business_date, list(by_account.values()))


def exception_ref(item: Row) -> Any:
    return item["ref"] if item["ref"] is not None else item["journal_ref"]


def api_document(account: AccountReport, next_cursor: str | None = None) -> dict[str, Any]:
    """GET /api/reports/recon: one account's reconciliation of one date; `exceptions` holds
    the account's exceptions read (a page of them), `next_cursor` where the next page starts."""
    summary = account.summary
    return {
        "date": summary["business_date"].isoformat(),
        "account": summary["account"],
        "ledger_total": summary["ledger_total"],
        "bank_total": summary["bank_total"],
        "matched": summary["matched"],
        "unmatched": summary["unmatched"],
        "exceptions": [
            {
                "kind": item["kind"],
                "ref": exception_ref(item),
                "delta": item["delta"],
                "amount": item["amount"],
                "line": item["line"],
            }
            for item in account.exceptions
        ],
        "next_cursor": next_cursor,
    }


def _plain(row: Row, fields: Sequence[str]) -> dict[str, Any]:
    return {name: row[name] for name in fields}


def to_json(report: Report) -> bytes:
    return jsonio.dumps(
        {
            "business_date": report.business_date.isoformat(),
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "accounts": [
                {
                    "summary": _plain(account.summary, SUMMARY_FIELDS),
                    "exceptions": [_plain(item, ITEM_FIELDS) for item in account.exceptions],
                    "matches": [_plain(item, ITEM_FIELDS) for item in account.matches],
                }
                for account in report.accounts
            ],
        }
    )


# A text cell that a spreadsheet would run as a formula (CSV injection: "=HYPERLINK(…)" in
# a bank file's reference or description, or in its file name).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|")


def formula_safe(text: str) -> str:
    """A text that starts like a formula, with a leading apostrophe: spreadsheets show it as
    text and do not evaluate it."""
    return "'" + text if text.startswith(FORMULA_START) else text


def spreadsheet_cell(value: Any) -> str:
    """The cell's text; a text value (never an amount or a date) that starts like a formula
    gets a leading apostrophe (`formula_safe`)."""
    return formula_safe(value) if isinstance(value, str) else cell(value)


def _csv(rows: Iterable[Row], fields: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields)
    for row in rows:
        writer.writerow([spreadsheet_cell(row[name]) for name in fields])
    return out.getvalue()


def csv_files(report: Report) -> dict[str, str]:
    """summary, exceptions and matches: one CSV text each, every account in each."""
    accounts = report.accounts
    return {
        "summary": _csv((a.summary for a in accounts), SUMMARY_FIELDS),
        "exceptions": _csv((i for a in accounts for i in a.exceptions), ITEM_FIELDS),
        "matches": _csv((i for a in accounts for i in a.matches), ITEM_FIELDS),
    }


def stem(report: Report, account: str | None) -> str:
    name = f"recon-{report.business_date.isoformat()}"
    return f"{name}-{account}" if account else name


def write(
    report: Report, out_dir: Path, formats: Sequence[str], account: str | None = None
) -> list[Path]:
    """Write the chosen formats into out_dir (created when missing); the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    base = stem(report, account)
    written: list[Path] = []
    if "csv" in formats:
        for part, text in csv_files(report).items():
            path = out_dir / f"{base}-{part}.csv"
            path.write_text(text, encoding="utf-8")
            written.append(path)
    if "json" in formats:
        path = out_dir / f"{base}.json"
        path.write_bytes(to_json(report))
        written.append(path)
    if "html" in formats:
        path = out_dir / f"{base}.html"
        path.write_text(to_html(report), encoding="utf-8")
        written.append(path)
    return written


# -- HTML ------------------------------------------------------------------------------------

STYLE = """
:root { --ink:#1d2430; --muted:#5d6b7e; --line:#dde3ea; --bg:#f6f8fa; --ok:#17803d;
        --okbg:#e7f6ec; --bad:#b42318; --badbg:#fdecea; --warn:#9a5b00; --warnbg:#fff4e0; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
       color:var(--ink); background:var(--bg); }
header { background:#14324f; color:#fff; padding:22px 32px; }
header h1 { margin:0; font-size:22px; font-weight:600; }
header p { margin:4px 0 0; color:#c9d6e3; }
main { max-width:1180px; margin:0 auto; padding:24px 32px 48px; }
section.account { background:#fff; border:1px solid var(--line); border-radius:10px;
                  padding:20px 24px; margin-bottom:28px; }
h2 { margin:0 0 4px; font-size:20px; }
h3 { margin:26px 0 10px; font-size:16px; }
.meta { color:var(--muted); margin:0 0 16px; }
.status { display:inline-block; padding:2px 10px; border-radius:999px; font-size:13px;
          font-weight:600; margin-left:8px; vertical-align:middle; }
.status.ok { background:var(--okbg); color:var(--ok); }
.status.bad { background:var(--badbg); color:var(--bad); }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(128px,1fr)); gap:12px; }
.card { border:1px solid var(--line); border-radius:8px; padding:12px 14px; background:#fbfcfd; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card .value { font-size:22px; font-weight:650; font-variant-numeric:tabular-nums; margin-top:2px; }
.card.good .value { color:var(--ok); }
.card.alert { border-color:#f3b8b2; background:var(--badbg); }
.card.alert .value { color:var(--bad); }
table { width:100%; border-collapse:collapse; font-size:14px; }
th, td { padding:7px 10px; border-bottom:1px solid var(--line); text-align:left;
         vertical-align:top; }
th { background:#eef2f6; font-weight:600; cursor:pointer; user-select:none; white-space:nowrap; }
th[aria-sort="ascending"]::after { content:" \\25B2"; font-size:10px; }
th[aria-sort="descending"]::after { content:" \\25BC"; font-size:10px; }
td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
tr.amount_mismatch td { background:var(--warnbg); }
tr.missing_in_ledger td, tr.missing_in_bank td { background:var(--badbg); }
.kind { font-weight:600; white-space:nowrap; }
tr.amount_mismatch .kind { color:var(--warn); }
tr.missing_in_ledger .kind, tr.missing_in_bank .kind { color:var(--bad); }
.none { color:var(--ok); font-weight:600; }
details { margin-top:18px; }
summary { cursor:pointer; font-weight:600; }
code { font-size:12px; color:var(--muted); }
footer { color:var(--muted); font-size:12px; text-align:center; padding:0 0 24px; }
"""

SCRIPT = """
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, column) {
    th.addEventListener('click', function () {
      var ascending = th.getAttribute('aria-sort') !== 'ascending';
      table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].dataset.sort || a.cells[column].textContent;
        var y = b.cells[column].dataset.sort || b.cells[column].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def _text(value: Any) -> str:
    return "" if value is None else escape(str(value))


def _amount(value: Any) -> str:
    if value is None:
        return '<td class="num"></td>'
    return f'<td class="num" data-sort="{escape(str(value))}">{escape(_grouped(value))}</td>'


def _grouped(value: Any) -> str:
    """12345.60 → 12,345.60 (exact: the digits of the Decimal, grouped)."""
    if not isinstance(value, Decimal):
        return str(value)
    sign = "-" if value < 0 else ""
    whole, dot, fraction = str(abs(value)).partition(".")
    return f"{sign}{int(whole):,}{dot}{fraction}"


def _card(label: str, value: Any, tone: str = "") -> str:
    return (
        f'<div class="card {tone}"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(_grouped(value))}</div></div>'
    )


def _item_table(items: Sequence[Row], caption: str) -> str:
    head = (
        "<tr><th>Kind</th><th>Line</th><th>Statement ref</th><th>Description</th>"
        "<th>Bank amount</th><th>Journal ref</th><th>Ledger amount</th><th>Delta</th>"
        "<th>Pass</th><th>Journal</th></tr>"
    )
    rows = []
    for item in items:
        full = f"{_text(item['journal_id'])}/{_text(item['leg_no'])}"
        short = f"{_text(str(item['journal_id'])[:13])}…/{_text(item['leg_no'])}"
        journal = f'<code title="{full}">{short}</code>'
        rows.append(
            f'<tr class="{_text(item["kind"])}">'
            f'<td class="kind">{escape(KIND_LABELS.get(str(item["kind"]), str(item["kind"])))}</td>'
            f'<td class="num">{_text(item["line"])}</td>'
            f"<td>{_text(item['ref'])}</td><td>{_text(item['description'])}</td>"
            f"{_amount(item['bank_amount'])}<td>{_text(item['journal_ref'])}</td>"
            f"{_amount(item['ledger_amount'])}{_amount(item['delta'])}"
            f'<td class="num">{_text(item["match_pass"])}</td>'
            f"<td>{journal if item['journal_id'] else ''}</td></tr>"
        )
    return (
        f'<table class="sortable" aria-label="{escape(caption)}"><thead>{head}</thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _account_section(account: AccountReport) -> str:
    s = account.summary
    exceptions = int(s["unmatched"])
    status = (
        '<span class="status ok">reconciled</span>'
        if exceptions == 0
        else f'<span class="status bad">{exceptions} exception{"s" if exceptions != 1 else ""}'
        "</span>"
    )
    ran_at = s["ran_at"].isoformat(timespec="seconds") if s["ran_at"] else ""
    cards = "".join(
        [
            _card("Statement lines", s["statement_lines"]),
            _card("Ledger legs", s["legs"]),
            _card("Matched", s["matched"], "good"),
            _card("Exceptions", exceptions, "alert" if exceptions else "good"),
            _card(f"Bank total {s['ccy']}", s["bank_total"]),
            _card(f"Ledger total {s['ccy']}", s["ledger_total"]),
            _card("Difference", s["difference"], "alert" if s["difference"] else "good"),
        ]
    )
    by_kind = ", ".join(f"{KIND_LABELS[kind]}: {s[kind]}" for kind in EXCEPTION_KINDS if s[kind])
    if account.exceptions:
        exceptions_html = (
            f'<p class="meta">{escape(by_kind)}</p>{_item_table(account.exceptions, "Exceptions")}'
        )
    else:
        exceptions_html = '<p class="none">No exceptions: every line and leg is matched.</p>'
    shown = account.matches[:HTML_MATCHES_SHOWN]
    more = (
        f'<p class="meta">The first {len(shown):,} of {len(account.matches):,} matched pairs; '
        "the CSV and JSON reports list them all.</p>"
        if len(shown) < len(account.matches)
        else ""
    )
    matches_html = (
        f"<details><summary>Matched pairs ({len(account.matches):,})</summary>{more}"
        f"{_item_table(shown, 'Matched pairs')}</details>"
        if account.matches
        else ""
    )
    return (
        f'<section class="account"><h2>{_text(s["account"])} {status}</h2>'
        f'<p class="meta">Business date {_text(s["business_date"])} · currency {_text(s["ccy"])}'
        f" · tolerance ±{_text(s['tolerance'])} · run {_text(s['run_id'])} at {escape(ran_at)}"
        f" · amounts as the bank sees them (money in is positive)</p>"
        f'<div class="cards">{cards}</div>'
        f"<h3>Exceptions</h3>{exceptions_html}{matches_html}</section>"
    )


def to_html(report: Report) -> str:
    day = report.business_date.isoformat()
    accounts = "".join(_account_section(account) for account in report.accounts)
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Reconciliation {escape(day)} · DoubleX</title><style>{STYLE}</style></head>"
        f"<body><header><h1>Reconciliation report · {escape(day)}</h1>"
        f"<p>{len(report.accounts)} account(s) · bank statement lines against ledger legs"
        "</p></header>"
        f"<main>{accounts}</main>"
        f"<footer>DoubleX · generated {escape(generated)}</footer>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )
