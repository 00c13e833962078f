"""sql/errors.md, doublex.errors.DX_ERRORS and the SQL that raises the codes agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from doublex.errors import DX_ERRORS, ErrorKind

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = ROOT / "sql" / "errors.md"

# A registry row: | DX001 | invalid_legs | 422 | raised when … |
ROW = re.compile(r"^\|\s*(DX\w{3})\s*\|\s*([a-z_]+)\s*\|\s*(\d{3})\s*\|(.*)\|\s*$")
# Every way PL/pgSQL can name a SQLSTATE: RAISE … USING ERRCODE = 'DX001' (also :=),
# RAISE SQLSTATE 'DX001', and a condition in an EXCEPTION WHEN SQLSTATE 'DX001' handler.
ERRCODE = re.compile(r"\bERRCODE\s*:?=\s*'([0-9A-Z]{5})'", re.IGNORECASE)
RAISE_SQLSTATE = re.compile(r"\bRAISE\s+(?:\w+\s+)?SQLSTATE\s+'([0-9A-Z]{5})'", re.IGNORECASE)


def parse_registry(text: str) -> dict[str, ErrorKind]:
    kinds: dict[str, ErrorKind] = {}
    for line in text.splitlines():
        match = ROW.match(line.strip())
        if match is None:
            continue
        code, name, status, raised_when = match.groups()
        assert code not in kinds, f"{code} is listed twice in sql/errors.md"
        assert raised_when.strip(), f"{code} has no 'raised when' text"
        kinds[code] = ErrorKind(code, name, int(status))
    return kinds


def strip_sql_comments(sql: str) -> str:
    """Drop -- line comments (outside string literals) and /* */ blocks."""
    sql = re.sub(r"/\*.*?\*/", " ", sql, flags=re.DOTALL)
    out: list[str] = []
    for line in sql.splitlines():
        in_string = False
        cut = len(line)
        i = 0
        while i < len(line):
            ch = line[i]
            if ch == "'":
                in_string = not in_string
            elif not in_string and line.startswith("--", i):
                cut = i
                break
            i += 1
        out.append(line[:cut])
    return "\n".join(out)


def sql_files() -> list[Path]:
    files = (
        sorted((ROOT / "procedures").rglob("*.sql"))
        + sorted((ROOT / "migrations").glob("*.sql"))
        + sorted((ROOT / "proxy").glob("*.sql"))  # the shard proxy's own (README, "Sharding")
    )
    assert files, "no SQL files found"
    return files


def raised_codes() -> dict[str, list[str]]:
    """SQLSTATE → the files (relative paths) that raise it."""
    found: dict[str, list[str]] = {}
    for path in sql_files():
        text = strip_sql_comments(path.read_text(encoding="utf-8"))
        for pattern in (ERRCODE, RAISE_SQLSTATE):
            for code in pattern.findall(text):
                found.setdefault(code.upper(), []).append(str(path.relative_to(ROOT)))
    return found


def test_registry_table_parses_into_contiguous_codes() -> None:
    registry = parse_registry(REGISTRY.read_text(encoding="utf-8"))
    assert len(registry) >= 20
    numbers = sorted(int(code[2:]) for code in registry)
    assert numbers == list(range(1, len(numbers) + 1)), "registry codes have gaps"
    for kind in registry.values():
        assert kind.http_status in {401, 403, 404, 409, 422, 429, 503}, kind


def test_registry_matches_python_error_map() -> None:
    registry = parse_registry(REGISTRY.read_text(encoding="utf-8"))
    assert registry == DX_ERRORS
    for code, kind in DX_ERRORS.items():
        assert kind.code == code


def test_names_are_unique() -> None:
    names = [kind.name for kind in DX_ERRORS.values()]
    assert len(names) == len(set(names))


def test_every_raised_dx_code_is_registered() -> None:
    raised = raised_codes()
    dx_raised = {code: files for code, files in raised.items() if code.startswith("DX")}
    unknown = {code: files for code, files in dx_raised.items() if code not in DX_ERRORS}
    assert unknown == {}, f"codes raised but not in sql/errors.md: {unknown}"


def test_every_registered_code_is_raised_somewhere() -> None:
    raised = raised_codes()
    never = sorted(code for code in DX_ERRORS if code not in raised)
    assert never == [], f"registered but never raised: {never}"


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("RAISE EXCEPTION USING ERRCODE = 'DX009', MESSAGE = 'x';", {"DX009"}),
        ("RAISE EXCEPTION USING errcode := 'DX010';", {"DX010"}),
        ("RAISE SQLSTATE 'DX011';", {"DX011"}),
        ("RAISE EXCEPTION SQLSTATE 'DX012';", {"DX012"}),
        ("-- RAISE EXCEPTION USING ERRCODE = 'DX013';", set()),
        ("/* ERRCODE = 'DX014' */ SELECT '--';", set()),
    ],
)
def test_scanner_finds_codes(snippet: str, expected: set[str]) -> None:
    text = strip_sql_comments(snippet)
    found = {c.upper() for p in (ERRCODE, RAISE_SQLSTATE) for c in p.findall(text)}
    assert found == expected
