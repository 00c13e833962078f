"""Helpers for the REST tests: a real aiohttp server (aiohttp.test_utils) on a real database.

`api(ledger)` serves the app as `doublex serve` does: on a Ledger like `ledger` (same
database, pool size, retry policy) that connects as the service role and acts as
doublex_api, with a client that sends an API key of tenant `default` holding every
capability, created as admin (`create_key`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY
from psycopg.types.json import Jsonb

from doublex import config, localdb, migrate
from doublex.api import create_app
from doublex.api.handlers_events import StreamLimits
from doublex.db import Ledger

Client = TestClient[web.Request, web.Application]

PROBLEM_TYPE = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "code", "detail", "errors"}


CAPABILITIES = ["read", "post", "operate", "admin", "audit"]
# A well-formed key that no database knows: passes the service's syntax check, so a request
# with it reaches the ledger (or a dead database).
UNKNOWN_KEY = "dxk_000000000000." + "0" * 64


SHORT_STREAM = StreamLimits(poll_seconds=0.05, ping_seconds=0.1, max_seconds=0.3)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"} if key else {}


@asynccontextmanager
async def serving(app: web.Application, key: str = "") -> AsyncIterator[Client]:
    """The app on a real socket (127.0.0.1, a free port) and a client for it, sending `key`
    (none when empty)."""
    async with TestClient(TestServer(app), headers=bearer(key)) as client:
        yield client


def key_id(client: Client) -> str:
    """The visible id of the key `client` sends."""
    token = client.session.headers["Authorization"].removeprefix("Bearer ")
    return token.partition(".")[0]


def admin_of(dsn: str) -> str:
    """The test cluster's superuser on the same database."""
    return config.as_role(dsn, localdb.SUPERUSER)


def admin_connection(admin_dsn: str) -> psycopg.Connection[Any]:
    """An admin connection whose transactions are SERIALIZABLE (ledger writes demand it);
    `with` commits."""
    conn = psycopg.connect(admin_dsn)
    conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
    return conn


# The highest rate limit a key may have, as SQL: asked through the API (ledger.api_limits()),
# so that it also works on a shard proxy, which has no ledger_private.
FAST_RATE = "(SELECT value FROM ledger.api_limits() WHERE name = 'key_rate_max')"
FAST_BURST = "(SELECT value FROM ledger.api_limits() WHERE name = 'key_burst_max')"


def create_key(
    admin_dsn: str,
    tenant: str = "default",
    capabilities: list[str] | None = None,
    name: str = "test",
    expires_at: Any = None,
    requests_per_second: int | None = None,
    burst: int | None = None,
) -> dict[str, Any]:
    """A new API key of `tenant` (every capability unless told), created as admin; its row
    with the token. Its rate limit is the highest a key may have unless told (FAST), so the
    tests that are not about rate limits are not limited."""
    with admin_connection(admin_dsn) as conn:
        row = conn.execute(
            "SELECT key_id, token FROM ledger.create_api_key(name => %s, capabilities => %s,"
            f" expires_at => %s, requests_per_second => coalesce(%s, {FAST_RATE}),"
            f" burst => coalesce(%s, {FAST_BURST}), tenant => %s)",
            (name, capabilities or CAPABILITIES, expires_at, requests_per_second, burst, tenant),
        ).fetchone()
    assert row is not None
    return {"key_id": row[0], "token": row[1]}


def as_service(ledger: Ledger) -> Ledger:
    """A Ledger like `ledger` made as `doublex serve` makes it: the service role, acting as
    doublex_api for each request's key."""
    return Ledger(
        config.as_service_role(str(ledger.pool.conninfo)),
        min_size=ledger.pool.min_size,
        max_size=ledger.pool.max_size,
        retry=ledger.retry,
        on_retry=ledger.on_retry,
        pool_timeout=ledger.pool.timeout,
        act_as=config.API_ROLE,
    )


@asynccontextmanager
async def api(ledger: Ledger, key: str | None = None, **options: Any) -> AsyncIterator[Client]:
    """The service on a Ledger like `ledger`; the client sends `key` (default: a new key of
    tenant default with every capability; "" for none)."""
    if key is None:
        key = create_key(admin_of(str(ledger.pool.conninfo)))["token"]
    # GET /api/events/stream ends within a test's patience (the service's default: minutes).
    options.setdefault("event_stream", SHORT_STREAM)
    service = as_service(ledger)
    await service.open(wait=False)
    try:
        app = create_app(service, **({"migrations": migrate.known()} | options))
        async with serving(app, key) as client:
            yield client
    finally:
        await service.close()


async def problem(response: ClientResponse, status: int, code: str) -> dict[str, Any]:
    """Assert an application/problem+json answer with this status and code; return it."""
    body = await response.text()
    assert response.status == status, body
    assert response.content_type == PROBLEM_TYPE, body
    document: dict[str, Any] = await response.json(content_type=None)
    assert set(document) >= PROBLEM_KEYS, document
    assert document["status"] == status
    assert document["code"] == code, document
    assert document["type"].endswith(document["code"]) or document["type"].startswith("urn:")
    assert isinstance(document["errors"], list)
    for item in document["errors"]:
        assert set(item) == {"field", "message"}
    assert "Traceback" not in body
    return document


async def ok(response: ClientResponse, status: int = 200) -> Any:
    """Assert a JSON answer with this status; return its body."""
    text = await response.text()
    assert response.status == status, text
    assert response.content_type == "application/json", text
    return await response.json()


def legs(debit: str, credit: str, amount: str, ccy: str = "EUR") -> list[dict[str, str]]:
    return [
        {"account": debit, "side": "debit", "amount": amount, "ccy": ccy},
        {"account": credit, "side": "credit", "amount": amount, "ccy": ccy},
    ]


async def open_account(
    client: Client, code: str, ccy: str = "EUR", type: str = "asset", **extra: Any
) -> dict[str, Any]:
    response = await client.post(
        "/api/accounts",
        json={"code": code, "name": f"account {code}", "ccy": ccy, "type": type} | extra,
    )
    created: dict[str, Any] = await ok(response, 201)
    return created


async def transfer(client: Client, key: str, body: dict[str, Any], status: int = 201) -> Any:
    response = await client.post("/api/transfers", json={"idempotency_key": key} | body)
    return await ok(response, status)


async def balance(client: Client, code: str, as_of: str | None = None) -> str:
    query = f"?as_of={as_of}" if as_of else ""
    body = await ok(await client.get(f"/api/accounts/{code}/balance{query}"))
    return str(body["balance"])


def sample(name: str, **labels: str) -> float:
    """A sample of the process-wide Prometheus registry (0 when not yet exported)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Samples:
    """Deltas of Prometheus samples between construction and `delta()`."""

    def __init__(self, *keys: tuple[str, dict[str, str]]) -> None:
        self._keys = keys
        self._before = [sample(name, **labels) for name, labels in keys]

    def delta(self) -> dict[str, float]:
        return {
            _label(name, labels): sample(name, **labels) - before
            for (name, labels), before in zip(self._keys, self._before, strict=True)
        }


def _label(name: str, labels: dict[str, str]) -> str:
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}" if inner else name


async def hold_key(app_dsn: str, key: str, request_legs: Any) -> psycopg.AsyncConnection[Any]:
    """Post `key` in an open SERIALIZABLE transaction, holding its advisory lock."""
    holder = await psycopg.AsyncConnection.connect(app_dsn)
    await holder.execute(
        "SELECT * FROM ledger.post_journal(idempotency_key => %s, legs => %s::jsonb)",
        (key, Jsonb(request_legs)),
    )
    return holder


async def wait_for_lock_waiter(admin_dsn: str, count: int = 1) -> None:
    """Until `count` sessions of the database of `admin_dsn` wait on an advisory lock (the
    idempotency lock of a request's key)."""
    async with await psycopg.AsyncConnection.connect(admin_dsn, autocommit=True) as conn:
        for _ in range(500):
            cursor = await conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
            )
            row = await cursor.fetchone()
            if row and row[0] >= count:
                return
            await asyncio.sleep(0.02)
    raise AssertionError("the request never queued on the idempotency lock")
