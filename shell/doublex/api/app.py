"""The aiohttp application: routes, and the middlewares every request passes through.

Outermost first: `observe` (request id, access log line, HTTP metrics by route template,
the server span), then `problems` (every error becomes application/problem+json; nothing
unexpected leaves as a stack trace), then the time limits of `time_limits` (the body within
its timeout, the rest within the request's deadline) when the service sets them, then
`auth.authenticate` (the request's API key for the ledger calls it makes; 401 when a route
needs one and none was sent), then `rate_limit` (the key's token bucket; 429 over its limit).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from aiohttp import web
from aiohttp.typedefs import Middleware
from opentelemetry.trace import SpanKind

from doublex import config, errors, jsonio, metrics
from doublex.api import (
    auth,
    docs,
    document,
    handlers,
    handlers_metrics,
    problems,
    rate_limit,
    time_limits,
)
from doublex.api import demo as demo_routes
from doublex.api.handlers_events import STREAM_LIMITS, StreamLimits
from doublex.api.operation import Access, Handler
from doublex.api.routes import OPERATIONS
from doublex.config import KEY_BUCKETS, REQUEST_ID_PATTERN, CoalesceSettings
from doublex.db import Ledger
from doublex.db.coalesce import Coalescer
from doublex.logs import ACCESS, ERRORS
from doublex.tracing import tracer

REQUEST_ID: web.RequestKey[str] = web.RequestKey("request_id", str)
REQUEST_ID_SHAPE = re.compile(REQUEST_ID_PATTERN)

# (method, path template, aiohttp handler, what it needs) of every operation of routes.py.
ROUTES: list[tuple[str, str, Handler, Access]] = [
    (op.method, op.path, op.handler(), op.access) for op in OPERATIONS
]


# The ledger's limits stay named here; document.Published resolves them when serving.
OPENAPI_DOCUMENT = document.build(OPERATIONS)


def route_template(request: web.Request) -> str:
    """The matched route's template (bounded label values), never the raw path."""
    resource = request.match_info.route.resource
    if resource is None:
        return "unmatched"
    return resource.canonical.rstrip("/") or "/"


def request_id_of(request: web.Request) -> str:
    """The client's X-Request-ID when it is a short token (config.REQUEST_ID_PATTERN), else a
    new one: the id goes into every log line, span and problem document, so a long or
    control-character id is replaced (answered in X-Request-ID), never refused or echoed."""
    given = request.headers.get("X-Request-ID", "")
    return given if REQUEST_ID_SHAPE.fullmatch(given) else uuid.uuid4().hex


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = request_id_of(request)
    request[REQUEST_ID] = request_id
    route = route_template(request)
    started = time.perf_counter()
    status = 500
    with tracer.start_as_current_span(
        f"{request.method} {route}",
        kind=SpanKind.SERVER,
        attributes={
            "http.request.method": request.method,
            "http.route": route,
            "doublex.request_id": request_id,
        },
    ) as span:
        try:
            response = await handler(request)
            status = response.status
            response.headers["X-Request-ID"] = request_id
            return response
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            span.set_attribute("http.response.status_code", status)
            metrics.HTTP_REQUESTS.labels(request.method, route, str(status)).inc()
            metrics.HTTP_LATENCY.labels(request.method, route).observe(elapsed_ms)
            ACCESS.info(
                "%s %s %s %.1fms",
                request.method,
                route,
                status,
                elapsed_ms,
                extra={
                    "method": request.method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed_ms, 2),
                    "request_id": request_id,
                },
            )


@web.middleware
async def problem_documents(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except problems.RequestProblem as exc:
        return problems.from_request_problem(exc)
    except errors.LedgerError as exc:
        if isinstance(exc, errors.InternalError):
            ERRORS.error("ledger error", exc_info=exc, extra={"request_id": request[REQUEST_ID]})
        return problems.from_ledger_error(exc, auth.challenge(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return problems.from_http_error(exc)
    except Exception:
        ERRORS.exception("unhandled error", extra={"request_id": request[REQUEST_ID]})
        return problems.internal_error(request[REQUEST_ID])


def create_app(
    ledger: Ledger,
    *,
    migrations: list[str] | None = None,
    max_body_bytes: int = 1 << 20,
    tenants: list[str] | None = None,
    body_timeout: float | None = None,
    request_deadline: float | None = None,
    metrics_public: bool = False,
    authenticate: bool = True,
    key_rate_seconds: float = 5.0,
    demo: bool = True,
    event_stream: StreamLimits | None = None,
    coalesce: CoalesceSettings | None = None,
) -> web.Application:
    """The service on `ledger` (made for the service: `act_as="doublex_api"`).
    `body_timeout`, `request_deadline`: seconds (api/time_limits.py); None: no limit.
    `authenticate=False` is for bench/auth_overhead.py only (no environment variable or
    option reaches it): no key is read, and `ledger` must then be a SQL login's.
    `key_rate_seconds`: how long a key's rate limit is used before it is read again
    (api/rate_limit.py).
    `demo`: serve the live page and its routes (api/demo.py; DOUBLEX_DEMO=off: not).
    `event_stream`: the limits of GET /api/events/stream (api/handlers_events.py).
    `coalesce`: request coalescing of transfers (doublex.db.coalesce); None: as the
    environment says (config.coalesce_settings, DOUBLEX_COALESCE*)."""
    # Request bodies may hold exact (Decimal) numbers; jsonb parameters must keep them.
    jsonio.use_for_postgres()
    middlewares: list[Middleware] = [observe, problem_documents]
    if body_timeout is not None:
        middlewares.append(time_limits.body_timeout(body_timeout))
    if request_deadline is not None:
        middlewares.append(time_limits.deadline(request_deadline))
    buckets = rate_limit.KeyBuckets(key_rate_seconds, KEY_BUCKETS)
    if authenticate:
        middlewares += [auth.authenticate, rate_limit.rate_limit(buckets, handlers.ledger)]
    app = web.Application(middlewares=middlewares, client_max_size=max_body_bytes)
    app[handlers.LEDGER] = ledger
    app[handlers.COALESCER] = Coalescer(ledger, coalesce or config.coalesce_settings())
    app[auth.ACCESS] = {handler: access for _, _, handler, access in ROUTES}
    app[auth.METRICS_PUBLIC] = metrics_public
    app[rate_limit.BUCKETS] = buckets
    app[handlers.MIGRATIONS] = migrations or []
    app[STREAM_LIMITS] = event_stream or StreamLimits()
    app[time_limits.STREAMS] = frozenset(op.path for op in OPERATIONS if op.stream)
    app[handlers_metrics.RECON_TENANTS] = tenants or ["default"]
    app[document.PUBLISHED] = document.Published(OPENAPI_DOCUMENT, docs.render)
    for method, path, handler, _ in ROUTES:
        # Every route answers with and without a trailing slash, without a redirect.
        app.router.add_route(method, path, handler)
        app.router.add_route(method, path + "/", handler)
    if demo:
        demo_routes.add_routes(app)
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    return app
