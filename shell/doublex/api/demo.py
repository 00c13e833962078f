"""The live page (GET /): "Post, replay, repeat" against the real API, on demo tenants.

The page is static (api/static/: HTML, one JavaScript module, one style sheet; nothing is
fetched from elsewhere) and talks to the ordinary REST routes with the key of its demo
tenant. Two routes of its own, open like the page:

- POST /api/demo/tenants: a fresh demo tenant for the caller's address
  (ledger.create_demo_tenant, run by the service's own login: the visitor has no key yet).
  The ledger bounds it per address and hour (DX048 → 429 with Retry-After) and gives the
  tenant's accounts their posting limit (DX047), so every limit the page shows is the
  ledger's, for curl as for the page.
- GET /api/demo/figures: the few live figures of the page's "six promises", read from the
  process's Prometheus registry (/metrics answers loopback clients only).

`DOUBLEX_DEMO=off` leaves all of these unrouted (create_app(demo=False)).
"""

from __future__ import annotations

from importlib import resources

from aiohttp import web

from doublex import metrics
from doublex.api.handlers import ledger, respond
from doublex.api.handlers_metrics import refresh_recon_mismatches

STATIC = resources.files("doublex.api") / "static"
# The files the page is made of, and their media types: nothing else is served.
ASSETS = {
    "app.js": "text/javascript",
    "app.css": "text/css",
}
# Only this origin's own files and API: no inline script, no third party.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def static(name: str, content_type: str) -> web.Response:
    body = (STATIC / name).read_bytes()
    return web.Response(
        body=body,
        content_type=content_type,
        charset="utf-8",
        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-cache"},
    )


async def page(request: web.Request) -> web.Response:
    """GET /: the page."""
    return static("index.html", "text/html")


async def asset(request: web.Request) -> web.Response:
    """GET /demo/{name}: the page's script and style sheet; 404 for anything else."""
    name = request.match_info["name"]
    if name not in ASSETS:
        raise web.HTTPNotFound(text=f"no asset {name}")
    return static(name, ASSETS[name])


async def create_tenant(request: web.Request) -> web.Response:
    """POST /api/demo/tenants: a demo tenant and its key for the caller's address."""
    address = request.remote or "0.0.0.0"
    return respond(await ledger(request).create_demo_tenant(address), 201)


async def figures(request: web.Request) -> web.Response:
    """GET /api/demo/figures: postings by outcome, retry rate, p95 posting latency,
    reconciliation exceptions (refreshed from the ledger as /metrics does)."""
    await refresh_recon_mismatches(request)
    return respond(metrics.figures())


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", page)
    app.router.add_get("/demo/{name}", asset)
    app.router.add_post("/api/demo/tenants", create_tenant)
    app.router.add_get("/api/demo/figures", figures)
