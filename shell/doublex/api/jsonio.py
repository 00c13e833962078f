"""JSON in and out. Money stays exact: Decimal values leave as strings, never floats."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default)


def loads(raw: bytes) -> Any:
    """Parse JSON; numbers with a fraction stay exact (Decimal), never float."""
    # orjson parses 0.1 as a float; amounts must travel as strings, but metadata may carry
    # numbers, so fall back to the standard parser with Decimal for anything fractional.
    value = orjson.loads(raw)
    if _has_float(value):
        import json

        return json.loads(raw, parse_float=Decimal)
    return value


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return False
