"""Bank statement CSV files → the rows `Ledger.import_statement` stages.

Only the file's shape is handled here: its header, which column holds which field (the
defaults or `--map`), and each record's line number. Every value stays text: the ledger
validates dates, amounts, currencies and refs, and lists every bad line (DX035).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from doublex.db import StatementRow

FIELDS = ("date", "ref", "amount", "ccy", "description", "id")
REQUIRED = ("date", "amount")


class StatementFileError(ValueError):
    """The file cannot be read as a statement (no header, a missing column, not UTF-8)."""


def parse_mapping(text: str | None) -> dict[str, str]:
    """`date=Booking Date,ref=Reference` → {"date": "Booking Date", "ref": "Reference"}."""
    mapping = {field: field for field in FIELDS}
    if not text:
        return mapping
    for part in text.split(","):
        field, sep, header = part.partition("=")
        field, header = field.strip().lower(), header.strip()
        if not sep or field not in FIELDS or not header:
            raise StatementFileError(
                f"--map: {part.strip()!r} is not FIELD=Header with FIELD one of {', '.join(FIELDS)}"
            )
        mapping[field] = header
    return mapping


def read_rows(lines: Iterable[str], mapping: dict[str, str]) -> list[StatementRow]:
    """The records of a CSV text (header first), numbered by the line each one starts on."""
    reader = csv.reader(lines)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise StatementFileError("the file is empty: it needs a header line") from None
    position: dict[str, int | None] = {}
    for field in FIELDS:
        wanted = mapping[field].strip().lower()
        position[field] = header.index(wanted) if wanted in header else None
    missing = [repr(mapping[f]) for f in REQUIRED if position[f] is None]
    if position["ref"] is None and position["id"] is None:
        missing.append(f"{mapping['ref']!r} (or {mapping['id']!r})")
    if missing:
        raise StatementFileError(
            f"the header has no column {', '.join(missing)}; "
            f"it has {', '.join(repr(h) for h in header)} (name columns with --map)"
        )

    def value(record: list[str], field: str) -> str | None:
        index = position[field]
        return record[index] if index is not None and index < len(record) else None

    rows: list[StatementRow] = []
    next_line = reader.line_num + 1
    for record in reader:
        line_no, next_line = next_line, reader.line_num + 1
        if not record or all(not cell.strip() for cell in record):
            continue  # blank lines are not statement lines
        rows.append(
            (
                line_no,
                value(record, "date"),
                value(record, "ref"),
                value(record, "amount"),
                value(record, "ccy"),
                value(record, "description"),
                value(record, "id"),
                max(0, len(record) - len(header)),
            )
        )
    return rows


def read_statement(path: Path, mapping: dict[str, str]) -> list[StatementRow]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return read_rows(handle, mapping)
    except UnicodeDecodeError as exc:
        raise StatementFileError(f"{path.name} is not UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:
        raise StatementFileError(f"{path.name} is not a CSV file: {exc}") from exc
