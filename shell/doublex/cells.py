"""How one value prints as text, wherever people read it: the CLI's tables and field lines,
the reconciliation CSV files. Amounts stay exact: a Decimal prints as its own digits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID


def _plain_decimal(value: Decimal) -> str:
    return format(value, "f")  # never "5E-8"


def _timestamp(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


# The text of the common exact types, found with one lookup: a statement of 100,000 legs
# prints 1.4 million cells. A subclass takes the checks below, with the same result.
_BY_TYPE: dict[type, Callable[[Any], str]] = {
    type(None): lambda _: "",
    str: str,
    int: str,
    UUID: str,
    Decimal: _plain_decimal,
    datetime: _timestamp,
    date: date.isoformat,
    bool: lambda value: "yes" if value else "no",
}


def text_of(kind: type) -> Callable[[Any], str]:
    """`cell` for values known to be of this exact type (a column of a SQL function's
    declared type, or None): one call per value for the many rows of a statement."""
    return _BY_TYPE[kind]


def cell(value: Any) -> str:
    """Empty for None, ISO dates (timestamps to the second), yes/no, exact Decimal text."""
    exact = _BY_TYPE.get(type(value))
    if exact is not None:
        return exact(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return _timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return _plain_decimal(value)
    return str(value)
