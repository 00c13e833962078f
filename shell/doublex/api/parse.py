"""A request → its operation's argument model (see `args`), or a problem document.

Only shape is checked here (JSON types, the syntax of dates, UUIDs, decimal strings and whole
numbers): every limit and every business rule, legs included, is the ledger's. A value of the
wrong JSON type is refused with `invalid_request` naming the field, so it never reaches SQL
as something else.
"""

from __future__ import annotations

from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from doublex import jsonio
from doublex.api.args import UNION_TAGS, In
from doublex.api.problems import RequestProblem

A = TypeVar("A", bound=BaseModel)
JSON_TYPES = ("application/json",)
# What the problem document says for pydantic's own error types; the types of `fields`
# raise theirs with the final wording.
MESSAGES = {
    "missing": "required",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "list_type": "must be an array",
}


def invalid(field: str, message: str) -> RequestProblem:
    return RequestProblem(422, "invalid_request", f"{field}: {message}", field)


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object: 415 for another content type, 400 for broken JSON or
    nesting beyond config.MAX_JSON_DEPTH."""
    if request.content_type not in JSON_TYPES:
        raise RequestProblem(
            415,
            "unsupported_media_type",
            f"send the body as application/json, not {request.content_type or 'nothing'}",
        )
    raw = await request.read()
    try:
        body = jsonio.loads(raw)
    except jsonio.TooDeep as exc:
        raise RequestProblem(400, "json_too_deep", f"the body is {exc}") from None
    except ValueError as exc:
        raise RequestProblem(400, "malformed_json", f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise RequestProblem(400, "malformed_json", "the body must be a JSON object")
    return body


_SOURCES: dict[type[BaseModel], tuple[tuple[str, In], ...]] = {}


def sources(model: type[BaseModel]) -> tuple[tuple[str, In], ...]:
    """(name in the request, where it comes from) of every field of an argument model."""
    found = _SOURCES.get(model)
    if found is None:
        found = _SOURCES[model] = tuple(
            (field.alias or name, next((m for m in field.metadata if isinstance(m, In)), In.QUERY))
            for name, field in model.model_fields.items()
        )
    return found


async def arguments(request: web.Request, model: type[A]) -> A:
    """The operation's arguments from the path, query string, headers and JSON body."""
    values: dict[str, Any] = {}
    for name, where in sources(model):
        value: Any
        if where is In.PATH:
            value = request.match_info.get(name)
        elif where is In.QUERY:
            value = request.query.get(name)
        elif where is In.HEADER:
            value = request.headers.get(name)
        else:
            value = await json_object(request)
        if value is not None:
            values[name] = value
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise problem(exc.errors()[0], dict(sources(model))) from None


def field_name(error: ErrorDetails) -> str:
    """`entries[1].amount` from pydantic's location (("body", "legacy", "entries", 1, …))."""
    name = ""
    for index, part in enumerate(error["loc"]):
        if (index == 0 and part == "body") or part in UNION_TAGS:
            continue
        name += f"[{part}]" if isinstance(part, int) else f".{part}" if name else str(part)
    return name


def problem(error: ErrorDetails, where: dict[str, In]) -> RequestProblem:
    field = field_name(error)
    message = MESSAGES.get(error["type"], error["msg"])
    if where.get(str(error["loc"][0])) is In.PATH:
        # A path that names nothing is not found, whatever is wrong with it.
        return RequestProblem(404, "not_found", f"no {field} {error['input']!r}", field)
    return invalid(field, message)


def idempotency_key(header: str | None, body: str | None) -> str:
    """From the body or the Idempotency-Key header; both present must agree."""
    if body is not None and header is not None and body != header:
        raise invalid("idempotency_key", "the body and the Idempotency-Key header differ")
    key = body if body is not None else header
    if key is None:
        raise invalid("idempotency_key", "required (in the body or the Idempotency-Key header)")
    return key
