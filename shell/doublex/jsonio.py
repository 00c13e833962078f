"""JSON in and out. Money stays exact: Decimal values leave as strings, never floats.

Request bodies may carry numbers orjson cannot keep exactly (fractions, integers beyond
64 bits): those are parsed as Decimal. `dumps_for_postgres` writes them back as the exact
JSON numbers they were, so jsonb parameters (metadata, batch requests) keep them and never
fail to encode; `use_for_postgres` installs it as psycopg's JSON encoder.

A number written with an exponent becomes an `ExponentNumber` (a Decimal that remembers
it), which an amount refuses: expanding `1e-999999999` to plain digits would cost a billion
characters. Nesting deeper than `config.MAX_JSON_DEPTH` is refused (`TooDeep`) before
anything walks the value recursively.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson
from psycopg.types.json import set_json_dumps

from doublex.config import MAX_JSON_DEPTH

# orjson reads and writes integers in [-2^63, 2^64 - 1]; beyond that a number is a Decimal.
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Positional digits always: str() would write 0.00000005 as "5E-8".
        return format(value, "f")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _default_std(value: Any) -> Any:
    """The stdlib fallback's view of what orjson writes natively."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return _default(value)


def dumps(value: Any) -> bytes:
    """A response body. Decimal → string (amounts); huge integers (metadata) still encode."""
    try:
        return orjson.dumps(value, default=_default)
    except orjson.JSONEncodeError:
        # orjson refuses integers beyond 64 bits, which metadata may legitimately hold.
        return json.dumps(
            value, default=_default_std, ensure_ascii=False, separators=(",", ":")
        ).encode()


class TooDeep(ValueError):
    """The JSON text nests arrays and objects deeper than allowed."""


class ExponentNumber(Decimal):
    """A JSON number written with an exponent (`1e-9`, `2E+3`): exact, but not plain digits."""


def _parse_int(text: str) -> int | Decimal:
    number = int(text)
    return number if _INT_MIN <= number <= _INT_MAX else Decimal(text)


def _parse_float(text: str) -> Decimal:
    return ExponentNumber(text) if "e" in text or "E" in text else Decimal(text)


def loads(raw: bytes, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse JSON; numbers with a fraction stay exact (Decimal), never float.

    ValueError for text that is not JSON, TooDeep (a ValueError) for nesting beyond
    `max_depth`; the value is walked without recursion, so neither costs a stack."""
    # orjson parses 0.1 (and integers beyond 64 bits) as a float; amounts must travel as
    # strings, but metadata may carry numbers, so fall back to the standard parser with
    # Decimal for anything orjson would have rounded.
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):
            raise TooDeep(f"nested deeper than {max_depth} levels") from None
        raise
    if _has_float(value, max_depth):
        return json.loads(raw, parse_float=_parse_float, parse_int=_parse_int)
    return value


def _has_float(value: Any, max_depth: int) -> bool:
    """Whether a float is anywhere in the value; TooDeep for containers nested beyond
    `max_depth` levels (the body itself is level 1). Level by level, without recursion; the
    types of a container's members are taken in C (map, set), so that a flat object of
    100,000 members costs a few milliseconds."""
    if not isinstance(value, (dict, list)):
        return isinstance(value, float)
    found = False
    level: list[Any] = [value]
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            raise TooDeep(f"nested deeper than {max_depth} levels")
        below: list[Any] = []
        for container in level:
            members = container.values() if isinstance(container, dict) else container
            kinds = set(map(type, members))
            found = found or float in kinds
            if dict in kinds or list in kinds:
                below.extend(m for m in members if isinstance(m, (dict, list)))
        level = below
    return found


def _exact_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(f"{value} is not a JSON number")
        return orjson.Fragment(str(value))
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _approximate_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(f"{value} is not a JSON number")
        return int(value) if value == value.to_integral_value() else float(value)
    return _default_std(value)


def dumps_for_postgres(value: Any) -> bytes:
    """jsonb parameters: Decimal values become the exact JSON numbers they were parsed from."""
    try:
        return orjson.dumps(value, default=_exact_number)
    except orjson.JSONEncodeError:
        # A Python int beyond 64 bits that did not come from `loads` (which makes it a
        # Decimal): the standard encoder writes it exactly.
        return json.dumps(value, default=_approximate_number, ensure_ascii=False).encode()


def use_for_postgres() -> None:
    """Make psycopg encode Jsonb parameters with `dumps_for_postgres` (process-wide)."""
    set_json_dumps(dumps_for_postgres)
