"""The service's time limits on one request (README, "Time limits").

- The body must arrive within `body_timeout` seconds of the handler asking for it: a client
  that sends it slowly gets 408 `request_timeout` and its connection is closed.
- The work must end within `deadline` seconds, every retry included: then the client gets
  503 `deadline_exceeded` with Retry-After. Cancelling the task cancels the database call in
  flight on the server (psycopg sends a cancel request and waits for it), and the pool gets
  the connection back rolled back, ready for the next request.

Headers and idle connections are bounded by the server (`serve.py`: the keep-alive timer is
armed from the moment a connection opens), and connections per client address by
`api/site.py`.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.typedefs import Middleware

from doublex import errors
from doublex.api import problems
from doublex.api.operation import Handler


def body_timeout(seconds: float) -> Middleware:
    """Read the whole body (cached for the handler) within `seconds`, or answer 408."""

    @web.middleware
    async def read_body_in_time(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.can_read_body:
            try:
                async with asyncio.timeout(seconds):
                    await request.read()
            except TimeoutError:
                response = problems.from_request_problem(
                    problems.RequestProblem(
                        408,
                        "request_timeout",
                        f"the request body did not arrive within {seconds:g} s",
                    )
                )
                # Answer, then close at once: aiohttp would otherwise linger to drain the
                # rest of the body, which is exactly what this client does not send.
                response.force_close()
                await response.prepare(request)
                await response.write_eof()
                request.protocol.force_close()
                return response
        return await handler(request)

    return read_body_in_time


# The route templates of the streams (Operation.stream): bounded by their own limit
# (DOUBLEX_SSE_MAX_SECONDS, api/handlers_events.py), not by the request deadline.
STREAMS: web.AppKey[frozenset[str]] = web.AppKey("streams", frozenset)


def deadline(seconds: float) -> Middleware:
    """Run the handler within `seconds`, or raise DeadlineExceeded (503, Retry-After); a
    stream's route runs under its own limit."""

    @web.middleware
    async def within_deadline(request: web.Request, handler: Handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        if resource is not None and resource.canonical.rstrip("/") in request.app[STREAMS]:
            return await handler(request)
        limit = asyncio.timeout(seconds)
        try:
            async with limit:
                return await handler(request)
        except TimeoutError as exc:
            if not limit.expired():
                raise
            raise errors.DeadlineExceeded(
                f"the request did not finish within its deadline of {seconds:g} s",
                hint="Retry later; replay a write with the same idempotency key.",
            ) from exc

    return within_deadline
