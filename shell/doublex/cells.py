"""How one value prints as text, wherever people read it: the CLI's tables and field lines,
the reconciliation CSV files. Amounts stay exact: a Decimal prints as its own digits."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any


def cell(value: Any) -> str:
    """Empty for None, ISO dates (timestamps to the second), yes/no, exact Decimal text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value, "f")  # never "5E-8"
    return str(value)
