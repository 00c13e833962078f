"""Every operation of the REST service, declared once: method, path, handler, argument
model, responses. app.py routes them; document.py turns them into /api/openapi.json.

Each area declares its own (`routes_ledger`, `routes_holds`, `routes_fx`, `routes_reports`,
`routes_access`, `routes_events`, `routes_webhooks`, `routes_monitors`); this module holds
the service's own (health, the documentation, /metrics) and lists them all in the order the
document shows them.
"""

from __future__ import annotations

from typing import Any

from doublex.api import (
    args,
    docs,
    document,
    handlers,
    handlers_metrics,
    routes_access,
    routes_events,
    routes_fx,
    routes_holds,
    routes_ledger,
    routes_monitors,
    routes_reports,
    routes_webhooks,
)
from doublex.api import responses as r
from doublex.api.operation import JSON, Access, Operation, Response, page

# Health first, as the document lists it.
HEALTH: list[Operation[Any]] = [
    Operation(
        "GET",
        "/api/health",
        "health",
        "Service and database health",
        handlers.health,
        args.NoArgs,
        {
            "200": Response("Healthy", r.Health),
            "503": Response("The database cannot be reached", r.Health),
        },
        access=Access.OPEN,
    ),
    Operation(
        "GET",
        "/health",
        "liveness",
        "Liveness: the process answers (the earlier API's route; no database call)",
        handlers.liveness,
        args.NoArgs,
        {"200": Response("Alive", r.Liveness)},
        access=Access.OPEN,
    ),
    Operation(
        "GET",
        "/ready",
        "readiness",
        "Readiness: the database answers and has every migration of this version",
        handlers.readiness,
        args.NoArgs,
        {
            "200": Response("Ready", r.Readiness),
            "503": Response("Not ready: the database is unreachable or not migrated", r.Readiness),
        },
        access=Access.OPEN,
    ),
]
# The document itself, its page and the metrics, last.
SERVICE: list[Operation[Any]] = [
    Operation(
        "GET",
        "/api/openapi.json",
        "getOpenApi",
        "This document (OpenAPI 3.1)",
        document.serve,
        args.NoArgs,
        {"200": page("The document", JSON)},
        access=Access.OPEN,
    ),
    Operation(
        "GET",
        "/api/docs",
        "getDocs",
        "This document as a readable page (self-contained HTML)",
        docs.serve,
        args.NoArgs,
        {"200": page("The page", "text/html")},
        access=Access.OPEN,
    ),
    Operation(
        "GET",
        "/metrics",
        "getMetrics",
        "Prometheus metrics in the text exposition format",
        handlers_metrics.metrics_page,
        args.NoArgs,
        {"200": page("The metrics", "text/plain")},
        access=Access.LOOPBACK,
    ),
]

OPERATIONS: list[Operation[Any]] = [
    *HEALTH,
    *routes_ledger.OPERATIONS,
    *routes_holds.OPERATIONS,
    *routes_fx.OPERATIONS,
    *routes_reports.OPERATIONS,
    *routes_access.OPERATIONS,
    *routes_events.OPERATIONS,
    *routes_webhooks.OPERATIONS,
    *routes_monitors.OPERATIONS,
    *SERVICE,
]
