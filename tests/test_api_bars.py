"""The access bars, route by route from the route table (`make bars`):

- 0 routes answer 2xx without a key, except GET /api/health and, for clients of the earlier
  API, GET /health (liveness) and GET /ready (readiness), and the API's own documentation
  (/api/openapi.json, /api/docs); the live page's routes (api/demo.py: the page, its assets,
  a new demo tenant of its own, the figures) are not in the route table and reveal no
  tenant's data; /metrics answers loopback clients only
  (DOUBLEX_METRICS_PUBLIC=1 opens it), and 403 to anyone else;
- 0 cross-tenant reads or writes: with a key of another tenant holding every capability,
  no route returns anything of tenant default's, and none changes its books;
- the document declares, for every route, its security and the capability it needs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import psycopg
import pytest
from aiohttp import web

from doublex import migrate
from doublex.api import create_app
from doublex.api.app import OPENAPI_DOCUMENT, ROUTES
from doublex.api.operation import Access, Handler
from doublex.db import Ledger
from support.events import sequence_all
from support.http import (
    Client,
    api,
    as_service,
    bearer,
    create_key,
    legs,
    ok,
    serving,
)
from support.tenants import create_tenants

OPEN = {
    ("GET", "/api/health"),
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/api/openapi.json"),
    ("GET", "/api/docs"),
}
AFAR = "203.0.113.7"  # TEST-NET-3: not a loopback address


@web.middleware
async def from_afar(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The request as if it came from another host."""
    return await handler(request.clone(remote=AFAR))


@pytest.fixture
async def remote_client(ledger: Ledger) -> AsyncIterator[Client]:
    service = as_service(ledger)
    async with service:
        app = create_app(service, migrations=migrate.known())
        app.middlewares.insert(0, from_afar)
        async with serving(app) as client:
            yield client


def sample_path(template: str) -> str:
    return (
        template.replace("{code}", "1001-CASH")
        .replace("{journal_id}", "00000000-0000-0000-0000-000000000000")
        .replace("{key_id}", "dxk_000000000000")
        .replace("{webhook_id}", "dxw_000000000000")
        .replace("{monitor_id}", "00000000-0000-0000-0000-000000000000")
        .replace("{base}", "EUR")
        .replace("{quote}", "JPY")
        .replace("{hold_id}", "00000000-0000-0000-0000-000000000000")
    )


async def test_no_route_answers_2xx_without_a_key_but_health_and_documentation(
    remote_client: Client,
) -> None:
    answered: dict[tuple[str, str], int] = {}
    for method, template, _, _ in ROUTES:
        response = await remote_client.request(method, sample_path(template), json={})
        answered[(method, template)] = response.status
    open_routes = {route for route, status in answered.items() if 200 <= status < 300}
    assert open_routes == OPEN, answered
    assert answered[("GET", "/metrics")] == 403
    refused = {route: status for route, status in answered.items() if route not in OPEN}
    assert set(refused.values()) == {401, 403}, refused
    print(f"bars: {len(ROUTES)} routes; 2xx without a key: {sorted(p for _, p in open_routes)}")


async def test_metrics_are_public_only_when_told(ledger: Ledger) -> None:
    service = as_service(ledger)
    async with service:
        app = create_app(service, migrations=migrate.known(), metrics_public=True)
        app.middlewares.insert(0, from_afar)
        async with serving(app) as client:
            assert (await client.get("/metrics")).status == 200


def test_every_route_declares_its_security_and_capability() -> None:
    for method, template, _, access in ROUTES:
        operation = OPENAPI_DOCUMENT["paths"][template][method.lower()]
        assert operation["x-capability"] == (access.capability or access.value)
        if access in (Access.OPEN, Access.LOOPBACK):
            assert operation["security"] == []
            assert ((method, template) in OPEN) == (access is Access.OPEN)
        else:
            assert operation["security"] == [{"apiKey": []}]
            assert {"401", "403"} <= set(operation["responses"])
    assert OPENAPI_DOCUMENT["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


def books_of(admin_dsn: str, tenant: str) -> Any:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        return [
            conn.execute(query, (tenant,)).fetchall()
            for query in (
                "SELECT code, name, status, min_balance, max_balance FROM ledger_private.account"
                " WHERE tenant = %s ORDER BY code",
                "SELECT hold_id FROM ledger_private.hold WHERE tenant = %s ORDER BY 1",
                "SELECT hold_id, outcome FROM ledger_private.hold_resolution WHERE tenant = %s"
                " ORDER BY 1",
                "SELECT journal_id FROM ledger_private.journal WHERE tenant = %s ORDER BY 1",
                "SELECT key_id, revoked_at FROM ledger_private.api_key WHERE tenant = %s"
                " ORDER BY 1",
                "SELECT base, quote, valid_on, rate FROM ledger_private.fx_rate"
                " WHERE tenant = %s ORDER BY 1, 2, 3",
                "SELECT monitor_id FROM ledger_private.monitor WHERE tenant = %s ORDER BY 1",
            )
        ]


async def test_no_cross_tenant_read_or_write(ledger: Ledger, admin_dsn: str) -> None:
    """Tenant default's objects, asked for and written to by every route with a key of
    tenant bravo holding every capability."""
    create_tenants(admin_dsn, "bravo")
    mine = create_key(admin_dsn)
    theirs = create_key(admin_dsn, "bravo")["token"]
    async with api(ledger, key=mine["token"]) as client:
        for code, kind in (("1001-CASH", "asset"), ("4001-SALES", "income"), ("1002-YEN", "asset")):
            ccy = "JPY" if code == "1002-YEN" else "EUR"
            body = {"code": code, "name": f"s3cret {code}", "ccy": ccy, "type": kind}
            await ok(await client.post("/api/accounts", json=body), 201)
        await ok(
            await client.put(
                "/api/fx/rates/EUR/JPY", json={"rate": "160", "valid_on": "2020-01-01"}
            )
        )
        posted, held = [
            await ok(
                await client.post(
                    path,
                    json={
                        "idempotency_key": "k",
                        "memo": f"s3cret {what}",
                        "legs": legs("1001-CASH", "4001-SALES", "5.00"),
                    },
                ),
                201,
            )
            for path, what in (("/api/transfers", "memo"), ("/api/holds", "hold"))
        ]
        watch = {"account": "1001-CASH", "field": "posted", "condition": ">", "threshold": "1"}
        monitor = await ok(await client.post("/api/monitors", json=watch), 201)
        sequence_all(admin_dsn)  # the event log holds default's changes (GET /api/events)
        before = books_of(admin_dsn, "default")
        # "s3cret": a mark no document holds ("secret" is a word of the webhook routes' docs).
        secrets = [
            "s3cret ",
            posted["journal_id"],
            mine["key_id"],
            held["hold_id"],
            monitor["monitor_id"],
        ]
        reads = writes = 0
        for method, template, _, _ in ROUTES:
            path = (
                template.replace("{code}", "1001-CASH")
                .replace("{journal_id}", posted["journal_id"])
                .replace("{key_id}", mine["key_id"])
                .replace("{monitor_id}", monitor["monitor_id"])
                .replace("{base}", "EUR")
                .replace("{quote}", "JPY")
                .replace("{hold_id}", held["hold_id"])
            )
            body = {
                "idempotency_key": "k",
                "legs": legs("1001-CASH", "4001-SALES", "1.00"),
                "requests": [
                    {"idempotency_key": "k", "legs": legs("1001-CASH", "4001-SALES", "1.00")}
                ],
                "from_account": "1001-CASH",
                "to_account": "1002-YEN",
                "amount": "1.00",
                "rate": "170",
                "valid_on": "2020-01-01",
                "min_balance": "-1",
                "max_balance": None,
            }
            response = await client.request(method, path, json=body, headers=bearer(theirs))
            text = await response.text()
            sent = path + str(body)
            reads += any(s in text and s not in sent for s in secrets)
            writes += books_of(admin_dsn, "default") != before
        assert (reads, writes) == (0, 0)
        print(f"bars: {len(ROUTES)} routes; cross-tenant reads {reads}, writes {writes}")
