"""An operation of the REST service: what routes_*.py declare for each route (routes.py
lists them all)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

from aiohttp import web
from pydantic import BaseModel

from doublex.api import parse
from doublex.api.limits import Text

A = TypeVar("A", bound=BaseModel)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
JSON = "application/json"
PROBLEM = "application/problem+json"


class Access(Enum):
    """What a route needs (doublex.api.auth): no key, loopback, or a key with a capability
    (the capability the ledger function requires; the database enforces it)."""

    OPEN = "open"  # no key: health and the documentation of the API
    LOOPBACK = "loopback"  # /metrics: loopback clients, or any with DOUBLEX_METRICS_PUBLIC
    READ = "read"
    POST = "post"
    OPERATE = "operate"
    ADMIN = "admin"
    AUDIT = "audit"

    @property
    def capability(self) -> str | None:
        return None if self in (Access.OPEN, Access.LOOPBACK) else self.value


@dataclass(frozen=True)
class Response:
    description: str
    model: type[BaseModel] | None = None
    media: str = JSON
    links: dict[str, Any] | None = None


@dataclass(frozen=True)
class Operation(Generic[A]):
    method: str
    path: str
    operation_id: str
    summary: str | Text  # a Text when it names a limit
    run: Callable[[web.Request, A], Awaitable[web.StreamResponse]]
    args: type[A]
    responses: dict[str, Response] = field(default_factory=dict)
    description: str | None = None
    access: Access = field(kw_only=True)
    # A stream (Server-Sent Events): bounded by its own limit, not the request deadline.
    stream: bool = field(default=False, kw_only=True)

    def handler(self) -> Handler:
        """The aiohttp handler: the arguments parsed into `args`, then `run`."""

        async def handle(request: web.Request) -> web.StreamResponse:
            return await self.run(request, await parse.arguments(request, self.args))

        return handle


def link(operation_id: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link: where a value of this response goes in the next request."""
    return {"operationId": operation_id, "parameters": parameters}


def page(description: str, media: str) -> Response:
    return Response(description, None, media)


def posting(
    posted: str, duplicate: str, model: type[BaseModel], links: dict[str, Any], again: bool = True
) -> dict[str, Response]:
    """201 when posted; 200 with the original result when the key was used before (with the
    same links, unless `again` is false)."""
    return {
        "201": Response(posted, model, links=links),
        "200": Response(duplicate, model, links=links if again else None),
    }
