"""No test may depend on the day it runs: every fixed date goes through the date helpers.

The ledger refuses journals more than a year from the business date (DX029), so a fixed
effective date in a test is a time bomb. This test reads pgtap/, tests/ and bench/ and fails
on any valid calendar date (YYYY-MM-DD, or ``date(2026, …)`` in Python) written outside
``tap.day``/``tap.dates`` (pgtap/helpers/fixtures.sql) or ``iso``/``day``/``shifted``
(tests/support/dates.py), unless ALLOWED names it with the reason it may stay fixed.
Invalid dates (2026-02-30) are input errors, never effective dates, and are not checked.
"""

from __future__ import annotations

import io
import re
import tokenize
from datetime import date
from pathlib import Path

from support import dates

ROOT = Path(__file__).resolve().parent.parent
ISO = re.compile(r"(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])")
# DD.MM.YYYY, the other format the statement files of the tests use.
DOTTED = re.compile(r"(?<![0-9.])([0-9]{2})\.([0-9]{2})\.([0-9]{4})(?![0-9])")
SQL_HELPERS = re.compile(r"tap\.(?:day|dates)\(")
DATE_CALL = re.compile(r"\bdate\(\s*([0-9]{4})\s*,\s*([0-9]+)\s*,\s*([0-9]+)\s*\)")
PY_HELPERS = {"iso", "day", "shifted"}

# (file, date) → why it may stay fixed. Each is checked to still occur (no stale entries).
ALLOWED: dict[tuple[str, str], str] = {
    **{
        ("pgtap/09_business_date.sql", day): "timestamps → business date: calendar rules "
        "(DST in Berlin), no journal"
        for day in ("2026-03-10", "2026-03-11", "2026-07-10", "2026-07-11")
    },
    ("pgtap/11_reconciliation.sql", "2026-03-04"): "statement line date read with the wrong "
    "format (day and month ≤ 12); line dates have no window",
    ("pgtap/11_reconciliation.sql", "2026-04-03"): "the same line read with the right format",
    ("pgtap/11_reconciliation.sql", "03.04.2026"): "that ambiguous line as written",
    ("tests/test_recon_cli.py", "03.04.2026"): "the ambiguous statement as written",
    ("tests/test_recon_cli.py", "05.06.2026"): "the ambiguous statement as written",
    ("tests/test_recon_cli.py", "20.11.2026"): "STATEMENT's placeholder, replaced by DAY",
    ("tests/test_recon_api.py", "20.11.2026"): "a date in a format the API refuses (422)",
    ("pgtap/helpers/fixtures.sql", "2026-12-04"): "the nominal today of tap.day",
    ("tests/support/dates.py", "2026-12-04"): "the nominal today of iso/day/shifted",
    ("tests/test_recon_cli.py", "2026-03-04"): "ambiguous statement date (no window), "
    "read with the wrong format",
    ("tests/test_recon_cli.py", "2026-05-06"): "the same",
    ("tests/test_recon_cli.py", "2026-04-03"): "the same, read with the right format",
    ("tests/test_recon_cli.py", "2026-06-05"): "the same",
    ("tests/test_fx_cli.py", "2024-01-01"): "rates of a refused import (nothing is written); "
    "rate dates have no window",
    ("tests/test_fx_concurrency.py", "2020-01-01"): "a rate valid since long ago, looked up "
    "on today's date (rate dates have no window)",
    ("tests/test_observability_e2e.py", "2000-01-01"): "a rate long ago (no window)",
    ("tests/test_api.py", "2020-01-01"): "a rate long ago in the OpenAPI request examples",
    ("tests/test_api.py", "2026-01-02"): "JSON encoding of a date, no database",
    ("tests/test_api_models.py", "2024-02-29"): "request model parses a leap day, no database",
    ("tests/test_cli_holds.py", "2000-01-01"): "a hold expiry in the past, refused (DX055)",
    ("tests/test_cli_ledger.py", "2000-01-01"): "no journal is ever before 2000",
    ("tests/test_api_auth.py", "2020-01-01"): "FX rates long ago (rate dates have no window)",
    ("tests/test_api_auth.py", "2021-06-01"): "the same",
    ("tests/test_api_bars.py", "2020-01-01"): "FX rates long ago (rate dates have no window)",
    ("tests/test_cli_access.py", "2099-01-01"): "a key's expiry far ahead (no window)",
    ("tests/test_tenant_isolation_properties.py", "2020-01-01"): "FX rates long ago, and a "
    "recon report of a date without a run (no window)",
    ("tests/test_tenant_isolation_properties.py", "2020-01-02"): "an FX rate (no window)",
    ("tests/test_recon_report.py", "2026-11-20"): "report rendering of given rows, no database",
    ("tests/test_recon_report.py", "2026-11-21"): "CSV reading, no database",
    ("tests/test_recon_report.py", "2026-11-22"): "CSV reading, no database",
    ("tests/support/dates.py", "2026-03-15"): "the docstring's example",
    ("tests/test_api_models.py", "2026-01-01"): "a datetime where a date is expected, no database",
    ("pgtap/16_hostile_bounds.sql", "1900-01-01"): "a date far outside the window, refused",
}


def written_dates(text: str) -> list[str]:
    """The valid dates in a text: YYYY-MM-DD as written, DD.MM.YYYY as written too."""
    dotted = [m.group(0) for m in DOTTED.finditer(text) if valid("{2}-{1}-{0}".format(*m.groups()))]
    return [m.group(0) for m in ISO.finditer(text) if valid(m.group(0))] + dotted


def valid(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def sql_call_end(text: str, start: int) -> int:
    """The index after the ')' closing the call whose '(' is at start (strings skipped)."""
    depth, at = 0, start
    while at < len(text):
        char = text[at]
        if char == "'":
            at = text.index("'", at + 1)
            while text.startswith("''", at):
                at = text.index("'", at + 2)
        elif text.startswith("$$", at):
            at = text.index("$$", at + 2) + 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return at + 1
        at += 1
    return at


def sql_fixed_dates(text: str) -> list[str]:
    text = re.sub(r"--[^\n]*", "", text)
    covered = [(m.start(), sql_call_end(text, m.end() - 1)) for m in SQL_HELPERS.finditer(text)]
    return [
        m.group(0)
        for pattern in (ISO, DOTTED)
        for m in pattern.finditer(text)
        if written_dates(m.group(0)) and not any(a <= m.start() < b for a, b in covered)
    ]


def py_fixed_dates(text: str) -> list[str]:
    found: list[str] = []
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(text).readline)
        if t.type not in (tokenize.NL, tokenize.COMMENT, tokenize.NEWLINE)
    ]
    helper_depth: list[int] = []  # paren depths at which a helper call is open
    depth = 0
    for at, token in enumerate(tokens):
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
            if token.string == "(" and at and tokens[at - 1].string in PY_HELPERS:
                helper_depth.append(depth)
        elif token.type == tokenize.OP and token.string in ")]}":
            if helper_depth and helper_depth[-1] == depth:
                helper_depth.pop()
            depth -= 1
        elif token.type == tokenize.STRING and not helper_depth:
            found += written_dates(token.string)
            found += [  # date(2026, 3, 15) inside an f-string
                "{:04d}-{:02d}-{:02d}".format(*map(int, m.groups()))
                for m in DATE_CALL.finditer(token.string)
            ]
        elif (
            token.type == tokenize.NAME
            and token.string in ("date", "datetime")
            and tokens[at + 1].string == "("
            and tokens[at + 2].type == tokenize.NUMBER
            and tokens[at + 4].type == tokenize.NUMBER
            and tokens[at + 6].type == tokenize.NUMBER
            and not helper_depth
        ):
            numbers = (int(tokens[at + n].string) for n in (2, 4, 6))
            found.append("{:04d}-{:02d}-{:02d}".format(*numbers))
    return found


def fixed_dates() -> dict[tuple[str, str], int]:
    seen: dict[tuple[str, str], int] = {}
    files = [
        *(ROOT / "pgtap").rglob("*.sql"),
        *(ROOT / "tests").rglob("*.py"),
        *(ROOT / "bench").rglob("*.py"),
    ]
    for path in files:
        if path == Path(__file__).resolve():
            continue  # the scanner's own examples
        text = path.read_text()
        found = sql_fixed_dates(text) if path.suffix == ".sql" else py_fixed_dates(text)
        for day in found:
            key = (str(path.relative_to(ROOT)), day)
            seen[key] = seen.get(key, 0) + 1
    return seen


def test_no_fixed_date_outside_the_date_helpers() -> None:
    seen = fixed_dates()
    unexplained = sorted(key for key in seen if key not in ALLOWED)
    assert unexplained == [], (
        "fixed dates: write them through tap.day/tap.dates (pgTAP) or "
        "support.dates.iso/day/shifted (pytest), or add them to ALLOWED with the reason"
    )
    stale = sorted(key for key in ALLOWED if key not in seen)
    assert stale == []


def test_the_scanner_finds_what_it_must() -> None:
    sql = "SELECT f('2026-03-15', tap.day('2026-03-15'), tap.dates($$[\"2026-03-15\"]$$))"
    assert sql_fixed_dates(sql) == ["2026-03-15"]
    assert sql_fixed_dates("SELECT '2026-02-30' -- 2026-03-15") == []
    assert sql_fixed_dates("SELECT '1|15.03.2026|R', '1|30.02.2026|R'") == ["15.03.2026"]
    python = 'x = ("2026-03-15", iso("2026-03-15"), shifted("a" "2026-03-15"), date(2026, 3, 8))'
    assert py_fixed_dates(python) == ["2026-03-15", "2026-03-08"]
    assert py_fixed_dates('f"{date(2024, 1, 1)}"') == ["2024-01-01"]


def test_the_helpers_shift_every_date_by_the_same_days() -> None:
    assert dates.day("2026-12-04") - dates.NOMINAL_TODAY == dates.SHIFT
    assert dates.iso("2026-03-15") == (date(2026, 3, 15) + dates.SHIFT).isoformat()
    moved = dates.shifted("a,2026-03-15,b 2026-02-30 12026-03-150")
    assert moved == f"a,{dates.iso('2026-03-15')},b 2026-02-30 12026-03-150"
