"""A corpus of hostile requests, generated from the route table (`api/routes.py`).

For every write route (POST, PUT) and every field of its body model, each hostile value in
that field of an otherwise valid body (the model's own example where it has one): wrong
JSON types, numbers with extreme exponents, huge strings, a NUL, Unicode edge cases where
the field has a pattern. Then, per route, whole-body attacks: nesting 33 to 900 levels deep,
bodies over the size limit, broken UTF-8, lone surrogates, non-objects, truncated JSON; and
hostile X-Request-ID and Idempotency-Key headers. Every case must be answered 4xx with a
problem document, quickly, and write nothing (tests/test_api_hostile.py; its timing and
memory: bench/run_hostile_bench.py).

Every case is sent with a valid API key of tenant `default` holding every capability (the
client carries it: `hostile_client` is `support.http.api`, the bench's session sends the key
it creates), so that the hostile part of each request, not the missing key, is what the
service must refuse.
"""

from __future__ import annotations

import json
import typing
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from pydantic import BaseModel

from doublex.api.app import OPENAPI_DOCUMENT
from doublex.api.routes import OPERATIONS
from doublex.db import Ledger
from support.http import Client, api

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
BODY_LIMIT = 1 << 20  # create_app's default max_body_bytes: bodies above it are 413
# What a path parameter is filled with: something that parses (a path that names nothing
# is a 404 whatever the body; here the body must be what is refused).
PATH_VALUES = {
    "journal_id": "0190f5c2-0000-7000-8000-000000000000",
    "base": "EUR",
    "quote": "USD",
    "code": "1001-CASH",
    "hold_id": "0190f5c2-0000-7000-8000-000000000000",
    "webhook_id": "dxw_000000000000",
    "monitor_id": "0190f5c2-0000-7000-8000-000000000000",
}
# A valid-looking body for the models without an example of their own.
BASE_BODIES: dict[str, dict[str, Any]] = {
    "BatchRequest": {
        "requests": [
            {
                "idempotency_key": "hostile-batch-base",
                "legs": [
                    {"account": "1001-CASH", "side": "debit", "amount": "1.00", "ccy": "EUR"},
                    {"account": "4001-SALES", "side": "credit", "amount": "1.00", "ccy": "EUR"},
                ],
            }
        ]
    },
    "Reversal": {"idempotency_key": "hostile-reversal-base"},
}
# Fields with a pattern or word list (codes, currencies, enums, dates, decimals): printable
# Unicode that only looks right must be refused there.
PATTERNED = frozenset(
    {
        "code", "ccy", "type", "side", "fixed_side", "from_account", "to_account",
        "account_code", "valid_on", "effective_date", "value_date", "rate", "amount",
        "expires_at", "min_balance", "max_balance",
        "account", "account_type", "field", "condition", "threshold",
    }
)  # fmt: skip
HUGE = "x" * 200_000


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = [value] if level % 2 else {"n": value}
    return value


# (label, JSON text of the value): values written as text so that exponents, lone
# surrogates and deep nesting reach the parser exactly as a hostile client sends them.
WRONG_TYPES: list[tuple[str, str]] = [
    ("int", "12"),
    ("float", "12.5"),
    ("exponent-tiny", "1e-999999999"),
    ("exponent-huge", "-1E+999999999"),
    ("exponent-plain", "1e2"),
    ("integer-4000-digits", "9" * 4000),
    ("true", "true"),
    ("empty-array", "[]"),
    ("array-of-strings", '["a", "b"]'),
    ("object", '{"a": 1}'),
    ("nested-40", json.dumps(_nested(40))),
]
STRINGS: list[tuple[str, str]] = [
    ("huge-string", json.dumps(HUGE)),
    ("nul", json.dumps("a\u0000b")),
    ("lone-surrogate", '"\\ud800"'),
]
ODD_UNICODE: list[tuple[str, str]] = [
    ("rtl-override", json.dumps("EUR\u202e")),
    ("zero-width", json.dumps("1001\u200b-CASH")),
    ("fullwidth-digits", json.dumps("\uff11\uff10\uff10")),
    ("combining", json.dumps("e\u0301")),
    ("emoji", json.dumps("\U0001f4b8")),
    ("line-separator", json.dumps("a\u2028b")),
    ("bom", json.dumps("\ufeffEUR")),
    ("control-c1", json.dumps("a\u0085b")),
]


@dataclass(frozen=True)
class Case:
    """One hostile request."""

    id: str
    method: str
    path: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


def write_operations() -> list[Any]:
    return [op for op in OPERATIONS if op.method in WRITE_METHODS]


def _path(template: str) -> str:
    for name, value in PATH_VALUES.items():
        template = template.replace("{" + name + "}", value)
    return template


def body_models(model: type[BaseModel]) -> list[type[BaseModel]]:
    """The body models of an argument model (both shapes of a union)."""
    found = model.model_fields.get("body")
    if found is None:
        return []
    annotation: Any = found.annotation
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    options = typing.get_args(annotation) or (annotation,)
    models = []
    for option in options:
        while typing.get_origin(option) is typing.Annotated:
            option = typing.get_args(option)[0]
        if isinstance(option, type) and issubclass(option, BaseModel):
            models.append(option)
    return models


def base_body(model: type[BaseModel]) -> dict[str, Any]:
    extra = model.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    if isinstance(examples, list) and examples and isinstance(examples[0], dict):
        return dict(examples[0])
    return dict(BASE_BODIES.get(model.__name__, {}))


# The JSON type of each wrong-type value (nested-40 is refused for its depth, whatever the
# field takes; exponents are refused wherever a number is taken, as amounts).
VALUE_TYPES = {
    "int": "integer", "float": "number", "integer-4000-digits": "integer", "true": "boolean",
    "empty-array": "array", "array-of-strings": "array", "object": "object",
}  # fmt: skip
# Lists whose items are checked field by field: body model → (list field, item fields).
NESTED = {
    "Transfer": ("legs", ("account", "side", "amount", "ccy")),
    "HoldCreate": ("legs", ("account", "side", "amount", "ccy")),
    "LegacyTransfer": ("entries", ("account_code", "amount", "ccy")),
}
MARKER = "\u0000hostile\u0000"


def json_types(model: str, name: str) -> set[str]:
    """The JSON types the published document admits for a field of a body model."""
    schema = OPENAPI_DOCUMENT["components"]["schemas"][model]["properties"][name]
    options = schema.get("anyOf", [schema])
    found = {option["type"] for option in options if "type" in option}
    found |= {"object" for option in options if "$ref" in option}
    return found | ({"integer"} if "number" in found else set())


# Free JSON objects (metadata) take any member: numbers beyond what jsonb can hold are what
# must be refused there.
INSIDE_OBJECTS: list[tuple[str, str]] = [
    ("member-exponent-tiny", '{"x": 1e-999999999}'),
    ("member-exponent-huge", '{"x": [-1E+999999999]}'),
    ("member-nul", '{"x": "a\\u0000b"}'),
]


def hostile_values(accepted: set[str], name: str) -> list[tuple[str, str]]:
    """The wrong-type values of a field (those it does not take), then the strings."""
    wrong = [(label, text) for label, text in WRONG_TYPES if VALUE_TYPES.get(label) not in accepted]
    inside = INSIDE_OBJECTS if "object" in accepted and name == "metadata" else []
    return wrong + inside + STRINGS + (ODD_UNICODE if name in PATTERNED else [])


def _raw(body: dict[str, Any], value_text: str) -> bytes:
    """The body's JSON text with MARKER replaced by the raw JSON text of a hostile value."""
    text = json.dumps(body).replace(json.dumps(MARKER), value_text)
    return text.encode("utf-8", "surrogatepass")


def field_cases() -> Iterator[Case]:
    for op in write_operations():
        path = _path(op.path)
        for model in body_models(op.args):
            body = base_body(model)
            kind = model.__name__
            for name in model.model_fields:
                for label, text in hostile_values(json_types(kind, name), name):
                    raw = _raw(body | {name: MARKER}, text)
                    yield Case(f"{op.operation_id}-{kind}.{name}-{label}", op.method, path, raw)
            if kind in NESTED:
                yield from _item_cases(op.operation_id, op.method, path, body, kind)


def _item_cases(
    operation: str, method: str, path: str, body: dict[str, Any], kind: str
) -> Iterator[Case]:
    """Each hostile value in each field of the first item of the body's list."""
    items, names = NESTED[kind]
    schema = OPENAPI_DOCUMENT["components"]["schemas"][kind]["properties"][items]
    item_model = schema["items"]["$ref"].rsplit("/", 1)[-1]
    for name in names:
        for label, text in hostile_values(json_types(item_model, name), name):
            first = dict(body[items][0]) | {name: MARKER}
            raw = _raw(body | {items: [first, *body[items][1:]]}, text)
            yield Case(f"{operation}-{kind}.{items}[0].{name}-{label}", method, path, raw)


def body_cases() -> Iterator[Case]:
    for op in write_operations():
        path = _path(op.path)
        models = body_models(op.args)
        body = base_body(models[0]) if models else {}
        valid = json.dumps(body).encode()
        whole: list[tuple[str, bytes, dict[str, str], str]] = [
            ("depth-33", json.dumps(body | {"memo": _nested(33)}).encode(), {}, ""),
            ("depth-600", b"[" * 600 + b"]" * 600, {}, ""),
            ("depth-900-object", b'{"a":' * 900 + b"1" + b"}" * 900, {}, ""),
            ("depth-5000", b"[" * 5000 + b"]" * 5000, {}, ""),
            ("depth-unclosed", b"[" * 100_000, {}, ""),
            ("over-size-limit", b'{"memo": "' + b"x" * (BODY_LIMIT + 16) + b'"}', {}, ""),
            ("many-keys", _many_keys(60_000), {}, ""),
            ("invalid-utf8", b'{"memo": "\xff\xfe"}', {}, ""),
            ("lone-surrogate-key", b'{"\\udc00": 1}', {}, ""),
            ("not-an-object", b'["a"]', {}, ""),
            ("a-string", b'"hello"', {}, ""),
            ("a-number", b"1e999999999", {}, ""),
            ("truncated", valid[: max(1, len(valid) // 2)], {}, ""),
            ("empty", b"", {}, ""),
            ("nan", b'{"memo": NaN}', {}, ""),
            ("text-plain", valid, {}, "text/plain"),
            ("request-id-huge", b"[]", {"X-Request-ID": "r" * 8000}, ""),
            ("request-id-control", b"[]", {"X-Request-ID": "a\tb <script>"}, ""),
            ("idempotency-header-huge", b"[]", {"Idempotency-Key": "k" * 8000}, ""),
            ("idempotency-header-control", b"[]", {"Idempotency-Key": "k\tk"}, ""),
        ]
        for label, raw, headers, content_type in whole:
            yield Case(
                f"{op.operation_id}-{label}",
                op.method,
                path,
                raw,
                headers,
                content_type or "application/json",
            )


def _many_keys(count: int) -> bytes:
    return ("{" + ",".join(f'"k{i}":{i}' for i in range(count)) + "}").encode()


def corpus() -> list[Case]:
    """Every hostile case, each with a stable id."""
    return [*field_cases(), *body_cases()]


def written_rows(dsn: str) -> tuple[int, ...]:
    """Journals, legs, accounts, FX rates, API keys (and revocations), audit entries, holds,
    their resolutions, accounts with limits, webhooks and monitors in the database: the same
    before and after the corpus, since no hostile case writes anything."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM ledger_private.journal),"
            "       (SELECT count(*) FROM ledger_private.leg),"
            "       (SELECT count(*) FROM ledger_private.account),"
            "       (SELECT count(*) FROM ledger_private.fx_rate),"
            "       (SELECT count(*) FROM ledger_private.api_key),"
            "       (SELECT count(*) FROM ledger_private.api_key WHERE revoked_at IS NOT NULL),"
            "       (SELECT count(*) FROM ledger_private.audit_log),"
            "       (SELECT count(*) FROM ledger_private.hold),"
            "       (SELECT count(*) FROM ledger_private.hold_resolution),"
            "       (SELECT count(*) FROM ledger_private.account"
            "         WHERE min_balance IS NOT NULL OR max_balance IS NOT NULL),"
            "       (SELECT count(*) FROM ledger_private.webhook),"
            "       (SELECT count(*) FROM ledger_private.monitor)"
        ).fetchone()
    assert row is not None
    return tuple(row)


def send_headers(case: Case) -> dict[str, str]:
    """What one case is sent with besides the key: its content type and its own headers."""
    return {"Content-Type": case.content_type} | case.headers


@pytest.fixture
async def hostile_client(ledger: Ledger) -> AsyncIterator[Client]:
    """The REST service on the test database, as `doublex serve` runs it; the client sends a
    key of tenant default with every capability."""
    async with api(ledger) as client:
        yield client
