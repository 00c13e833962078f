"""Request bodies and query strings → arguments of the SQL API.

Only shape is checked here (JSON types, date syntax, integer bounds of a query string):
every business rule, legs included, is the database's. A value of the wrong JSON type is
refused with `invalid_request` naming the field, so it never reaches SQL as something else.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, overload
from uuid import UUID

from aiohttp import web

from doublex import jsonio
from doublex.api.problems import RequestProblem

JSON_TYPES = ("application/json",)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# The earlier API scoped keys per client; the ledger key is `client_id:key` (≤ 255).
CLIENT_ID_MAX, LEGACY_KEY_MAX = 64, 190
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def invalid(field: str, message: str) -> RequestProblem:
    return RequestProblem(422, "invalid_request", f"{field}: {message}", field)


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object: 415 for another content type, 400 for broken JSON."""
    if request.content_type not in JSON_TYPES:
        raise RequestProblem(
            415,
            "unsupported_media_type",
            f"send the body as application/json, not {request.content_type or 'nothing'}",
        )
    raw = await request.read()
    try:
        body = jsonio.loads(raw)
    except ValueError as exc:
        raise RequestProblem(400, "malformed_json", f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise RequestProblem(400, "malformed_json", "the body must be a JSON object")
    return body


@overload
def text(body: dict[str, Any], field: str, *, required: bool = False) -> str | None: ...


@overload
def text(body: dict[str, Any], field: str, *, default: str) -> str: ...


def text(
    body: dict[str, Any], field: str, *, required: bool = False, default: str | None = None
) -> str | None:
    """A string field; absent or null means `default` (or, when required, a 422)."""
    value = body.get(field)
    if value is None:
        if required:
            raise invalid(field, "required")
        return default
    if not isinstance(value, str):
        raise invalid(field, "must be a string")
    return value


def flag(body: dict[str, Any], field: str, default: bool) -> bool:
    value = body.get(field)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid(field, "must be true or false")
    return value


def json_object_field(body: dict[str, Any], field: str) -> dict[str, Any] | None:
    value = body.get(field)
    if value is not None and not isinstance(value, dict):
        raise invalid(field, "must be a JSON object")
    return value


def iso_date(value: str | None, field: str) -> date | None:
    """YYYY-MM-DD only (RFC 3339 full-date, as the OpenAPI document says), a real date.

    Absent (None) means no date; an empty value (`?as_of=`) is not a date and is refused."""
    if value is None:
        return None
    try:
        if not ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise invalid(field, f"{value!r} is not a date (YYYY-MM-DD)") from exc


def date_field(body: dict[str, Any], field: str) -> date | None:
    return iso_date(text(body, field), field)


def page_size(query: Any, default: int = 100) -> int:
    raw = query.get("limit")
    if raw is None:
        return default
    if not WHOLE_NUMBER.fullmatch(raw):  # int() also takes " 5", "5_0", non-ASCII digits
        raise invalid("limit", f"{raw!r} is not a whole number")
    value = int(raw)
    if not 1 <= value <= 1000:
        raise invalid("limit", "must be between 1 and 1000")
    return value


def journal_id(request: web.Request) -> UUID:
    raw = request.match_info["journal_id"]
    try:
        return UUID(raw)
    except ValueError as exc:
        raise RequestProblem(404, "not_found", f"no journal {raw!r}", "journal_id") from exc


def idempotency_key(request: web.Request, body: dict[str, Any]) -> str:
    """From the body or the Idempotency-Key header; both present must agree."""
    in_body = text(body, "idempotency_key")
    in_header = request.headers.get("Idempotency-Key")
    if in_body is not None and in_header is not None and in_body != in_header:
        raise invalid("idempotency_key", "the body and the Idempotency-Key header differ")
    key = in_body if in_body is not None else in_header
    if key is None:
        raise invalid("idempotency_key", "required (in the body or the Idempotency-Key header)")
    return key


def transfer(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    """Arguments of ledger.post_journal from a transfer request (current or earlier API)."""
    if "entries" in body or "client_id" in body:
        return legacy_transfer(request, body)
    return {
        "idempotency_key": idempotency_key(request, body),
        "legs": body.get("legs"),
        "effective_date": date_field(body, "effective_date"),
        "memo": text(body, "memo"),
        "ref": text(body, "ref"),
        "metadata": json_object_field(body, "metadata"),
    }


def legacy_transfer(request: web.Request, body: dict[str, Any]) -> dict[str, Any]:
    """The earlier DoubleX API: signed `entries` (positive = debit, negative = credit).

    Its idempotency keys were scoped per client, so the ledger key is `client_id:key`, and
    the client id is kept in the journal's metadata.
    """
    client_id = text(body, "client_id", required=True) or ""
    if not 0 < len(client_id) <= CLIENT_ID_MAX or ":" in client_id or CONTROL.search(client_id):
        # A colon would let two clients' keys meet: ("a:b", "c") and ("a", "b:c").
        raise invalid("client_id", f"1 to {CLIENT_ID_MAX} printable characters, no colon")
    key = idempotency_key(request, body)
    if len(key) > LEGACY_KEY_MAX:
        raise invalid("idempotency_key", f"at most {LEGACY_KEY_MAX} characters with client_id")
    entries = body.get("entries")
    if not isinstance(entries, list):
        raise invalid("entries", "must be an array of {account_code, amount, ccy}")
    legs: list[Any] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise invalid(f"entries[{index}]", "must be an object")
        amount = entry.get("amount")
        if isinstance(amount, Decimal):
            amount = format(amount, "f")  # 1E+2 → "100": plain digits, as the ledger wants
        elif isinstance(amount, int) and not isinstance(amount, bool):
            amount = str(amount)
        if not isinstance(amount, str):
            raise invalid(f"entries[{index}].amount", "must be a decimal string or number")
        negative = amount.startswith("-")
        legs.append(
            {
                "account": entry.get("account_code"),
                "side": "credit" if negative else "debit",
                "amount": amount[1:] if negative else amount,
                "ccy": entry.get("ccy"),
            }
        )
    return {
        "idempotency_key": f"{client_id}:{key}",
        "legs": legs,
        "effective_date": date_field(body, "value_date"),
        "memo": text(body, "memo"),
        "ref": None,
        "metadata": {"client_id": client_id},
    }


DECIMAL = re.compile(r"[0-9]{1,20}(\.[0-9]{1,20})?")


def decimal_string(body: dict[str, Any], field: str) -> Decimal | None:
    """A non-negative decimal sent as a string ("1.0850"), never a JSON number; absent or
    null is None. Whether it is positive, and its decimals, are the ledger's business."""
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str) or not DECIMAL.fullmatch(value):
        raise invalid(field, 'must be a decimal string such as "12.50"')
    return Decimal(value)


def required_decimal(body: dict[str, Any], field: str) -> Decimal:
    value = decimal_string(body, field)
    if value is None:
        raise invalid(field, "required")
    return value


def required_date(body: dict[str, Any], field: str) -> date:
    value = date_field(body, field)
    if value is None:
        raise invalid(field, "required")
    return value


def required_query(query: Any, field: str) -> str:
    """A query-string parameter that must be present and not empty."""
    value: str | None = query.get(field) or None
    if value is None:
        raise invalid(field, "required")
    return value
