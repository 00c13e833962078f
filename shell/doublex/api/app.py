"""The aiohttp application: routes, and the middlewares every request passes through.

Outermost first: `observe` (request id, access log line, HTTP metrics by route template,
the server span), then `problems` (every error becomes application/problem+json; nothing
unexpected leaves as a stack trace), then `auth.authenticate` (the request's API key for the
ledger calls it makes; 401 when a route needs one and none was sent).
"""

from __future__ import annotations

import logging
import time
import uuid

from aiohttp import web
from opentelemetry.trace import SpanKind

from doublex import errors, jsonio, metrics
from doublex.api import auth, docs, document, handlers, handlers_metrics, problems
from doublex.api.operation import Access, Handler
from doublex.api.routes import OPERATIONS
from doublex.db import Ledger
from doublex.logs import ACCESS, ERRORS
from doublex.tracing import tracer

REQUEST_ID: web.RequestKey[str] = web.RequestKey("request_id", str)

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


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
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
    metrics_public: bool = False,
    authenticate: bool = True,
) -> web.Application:
    """The service on `ledger` (made for the service: `act_as="doublex_api"`).
    `authenticate=False` is for bench/auth_overhead.py only (no environment variable or
    option reaches it): no key is read, and `ledger` must then be a SQL login's."""
    # Request bodies may hold exact (Decimal) numbers; jsonb parameters must keep them.
    jsonio.use_for_postgres()
    middlewares = [observe, problem_documents, *([auth.authenticate] if authenticate else [])]
    app = web.Application(middlewares=middlewares, client_max_size=max_body_bytes)
    app[handlers.LEDGER] = ledger
    app[auth.ACCESS] = {handler: access for _, _, handler, access in ROUTES}
    app[auth.METRICS_PUBLIC] = metrics_public
    app[handlers.MIGRATIONS] = migrations or []
    app[handlers_metrics.RECON_TENANTS] = tenants or ["default"]
    app[document.PUBLISHED] = document.Published(OPENAPI_DOCUMENT, docs.render)
    for method, path, handler, _ in ROUTES:
        # Every route answers with and without a trailing slash, without a redirect.
        app.router.add_route(method, path, handler)
        app.router.add_route(method, path + "/", handler)
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    return app
