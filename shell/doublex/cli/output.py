"""How commands print: aligned tables for people, `--json` for machines.

Amounts stay exact in both: Decimal prints as its own digits, and JSON carries it as a
string, as the API does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import click

from doublex import jsonio
from doublex.cells import cell

F = TypeVar("F", bound=Callable[..., Any])

# A column: the row key, and the header people read.
Column = tuple[str, str]


def json_option(function: F) -> F:
    """Adds `--json`: print machine-readable JSON instead of a table."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")(
        function
    )


def _numeric(value: Any) -> bool:
    return isinstance(value, (Decimal, int)) and not isinstance(value, bool)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    """Rows as an aligned text table; numbers right-aligned so decimal points line up.
    Built a column at a time (a statement has 100,000 rows)."""
    aligned = []
    for key, header in columns:
        values = [row.get(key) for row in rows]
        texts = [header, "", *map(cell, values)]
        width = max(map(len, texts))
        texts[1] = "-" * width
        justify = str.rjust if any(map(_numeric, values)) else str.ljust
        aligned.append([justify(text, width) for text in texts])
    return "\n".join("  ".join(parts).rstrip() for parts in zip(*aligned, strict=True))


def emit_rows(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], as_json: bool, *, empty: str
) -> None:
    """A list result: a JSON array, or a table (or `empty` when there are no rows)."""
    if as_json:
        click.echo(jsonio.dumps([dict(row) for row in rows]).decode())
    elif rows:
        click.echo(table(rows, columns))
    else:
        click.echo(empty)


def emit_record(record: Mapping[str, Any], as_json: bool, *, fields: Sequence[Column]) -> None:
    """One result: a JSON object, or `field  value` lines."""
    if as_json:
        click.echo(jsonio.dumps(dict(record)).decode())
        return
    width = max(len(label) for _, label in fields)
    for key, label in fields:
        click.echo(f"{label.ljust(width)}  {cell(record.get(key))}".rstrip())


def emit_page(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    as_json: bool,
    *,
    empty: str,
    continues: bool,
) -> None:
    """A page of a list: `emit_rows`, then (as a table) the next page's cursor on stderr."""
    emit_rows(rows, columns, as_json, empty=empty)
    if not as_json and continues and rows:
        click.echo(f"next page: --cursor {rows[-1]['cursor']}", err=True)
