"""/api/openapi.json, generated: the operations of routes.py and the models they name.

Component schemas come from pydantic (JSON Schema 2020-12, as OpenAPI 3.1 wants): request
bodies in validation mode, responses in serialisation mode. Each operation's argument model
becomes its parameters (path, query, header) and its request body; every operation answers
errors as application/problem+json (`default`).

The built document names the ledger's limits (`limits.Limit`, `limits.Text`) rather than
restating them. `Published` serves it resolved: the first request reads ledger.api_limits()
through the Ledger and keeps the document and its page, so a changed limit is published by
a restart (as a migration is). While the database cannot be reached nothing is kept and the
answer is the 503 problem every route gives then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from doublex import __version__, jsonio
from doublex.api import args, handlers, limits, parse
from doublex.api.bodies import BalanceCondition, Leg
from doublex.api.operation import PROBLEM, Access, Operation
from doublex.api.responses import Problem

REF = "#/components/schemas/{model}"
INFO = {
    "title": "DoubleX ledger API",
    "version": __version__,
    "description": "A double-entry ledger. Amounts are exact decimal strings. Errors are "
    "application/problem+json with a stable code (sql/errors.md).",
}
PROBLEM_RESPONSE = {
    "description": "An error, as application/problem+json with a stable code",
    "content": {PROBLEM: {"schema": {"$ref": REF.format(model="Problem")}}},
}
VALUES = frozenset({"examples", "default", "enum", "const"})  # data, not schemas
SCHEME = "apiKey"
SECURITY_SCHEMES = {
    SCHEME: {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key of the tenant (`doublex keys create`, or POST /api/keys "
        "with an admin key): `Authorization: Bearer dxk_…`. The ledger checks it on every "
        "transaction. Each operation names what it needs in `x-capability`: a capability "
        "(`read` is also granted by `audit`), `open` (no key: health and this "
        "documentation) or `loopback` (/metrics: loopback clients only unless the service "
        "runs with DOUBLEX_METRICS_PUBLIC=1). Another tenant's objects are never found (404).",
    }
}


def build(operations: Sequence[Operation[Any]]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of these operations."""
    models: dict[type[BaseModel], JsonSchemaMode] = {
        Leg: "validation",
        BalanceCondition: "validation",
        Problem: "serialization",
    }
    for op in operations:
        models[op.args] = "validation"
        for response in op.responses.values():
            if response.model is not None:
                models[response.model] = "serialization"
    _, generated = models_json_schema(list(models.items()), ref_template=REF)
    definitions: dict[str, Any] = generated["$defs"]
    # Two models of one name get module-qualified names from pydantic: a published schema
    # name must not depend on where a model lives, so such a clash is a build error.
    clashes = sorted(name for name in definitions if "__" in name)
    if clashes:
        raise ValueError(f"two models share a schema name: {', '.join(clashes)}")
    _drop_titles(definitions)
    paths: dict[str, Any] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(
            op, definitions[op.args.__name__]
        )
    argument_models = {op.args.__name__ for op in operations}
    schemas = {k: v for k, v in definitions.items() if k not in argument_models}
    return {
        "openapi": "3.1.0",
        "info": INFO,
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": SECURITY_SCHEMES},
    }


def _operation(op: Operation[Any], arguments: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, response in op.responses.items():
        content = {} if response.model is None else {"schema": _ref(response.model)}
        responses[status] = {
            "description": response.description,
            "content": {response.media: content},
        }
        if response.links:
            responses[status]["links"] = response.links
    capability = op.access.capability
    if capability is not None:
        responses["401"] = _problem(
            "No key, or a malformed, unknown, revoked or expired key (DX040)"
        )
        responses["403"] = _problem(f"The key lacks the `{capability}` capability (DX041)")
        responses["429"] = _problem(
            "The key is over its rate limit (`rate_limited`, with Retry-After in seconds); "
            "nothing was done"
        )
    elif op.access is Access.LOOPBACK:
        responses["403"] = _problem("Not a loopback client (see DOUBLEX_METRICS_PUBLIC)")
    responses["default"] = PROBLEM_RESPONSE
    operation: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "responses": responses,
        "security": [{SCHEME: []}] if capability else [],
        "x-capability": capability or op.access.value,
    }
    if op.description:
        operation["description"] = op.description
    properties = arguments.get("properties", {})
    required = set(arguments.get("required", []))
    parameters = []
    for name, where in parse.sources(op.args):
        schema = dict(properties[name])
        if where is args.In.BODY:
            media = {"application/json": {"schema": schema}}
            operation["requestBody"] = {"required": True, "content": media}
            continue
        description = schema.pop("description", None)
        parameter = {
            "name": name,
            "in": where.value,
            "required": where is args.In.PATH or name in required,
            "schema": _not_null(schema),
        }
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    if parameters:
        operation["parameters"] = parameters
    return operation


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": PROBLEM_RESPONSE["content"]}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A parameter is absent or text: the null branch of an optional field does not apply."""
    if schema.get("default", ...) is None:
        del schema["default"]
    branches = schema.get("anyOf")
    if branches is None:
        return schema
    kept = [branch for branch in branches if branch != {"type": "null"}]
    rest = {k: v for k, v in schema.items() if k != "anyOf"}
    return {**kept[0], **rest} if len(kept) == 1 else {**rest, "anyOf": kept}


def _drop_titles(node: Any) -> None:
    """pydantic titles every schema after its class or field name; the document does not."""
    if isinstance(node, list):
        for item in node:
            _drop_titles(item)
    elif isinstance(node, dict):
        node.pop("title", None)
        for key, value in node.items():
            if key == "properties":
                for schema in value.values():
                    _drop_titles(schema)
            elif key not in VALUES:
                _drop_titles(value)


class Published:
    """The document as served: resolved with the ledger's limits once, then kept, with its
    readable page (`render`, docs.render)."""

    def __init__(self, document: dict[str, Any], render: Callable[[dict[str, Any]], str]) -> None:
        self.document = document
        self.render = render
        self.body: bytes | None = None
        self.page: str | None = None
        self._lock = asyncio.Lock()

    async def resolve(self, request: web.Request) -> None:
        """Read the limits (once; LedgerError when the database cannot answer)."""
        async with self._lock:
            if self.body is None:
                resolved = limits.resolve(
                    self.document, await handlers.ledger(request).api_limits()
                )
                self.page = self.render(resolved)
                self.body = jsonio.dumps(resolved)


PUBLISHED: web.AppKey[Published] = web.AppKey("published", Published)


async def serve(request: web.Request, _: args.NoArgs) -> web.Response:
    published = request.app[PUBLISHED]
    await published.resolve(request)
    return web.Response(body=published.body, content_type="application/json")
