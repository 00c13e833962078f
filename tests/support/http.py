"""Helpers for the REST tests: a real aiohttp server (aiohttp.test_utils) on a real database."""

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

from doublex import migrate
from doublex.api import create_app
from doublex.db import Ledger

Client = TestClient[web.Request, web.Application]

PROBLEM_TYPE = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "code", "detail", "errors"}


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[Client]:
    """The app on a real socket (127.0.0.1, a free port) and a client for it."""
    async with TestClient(TestServer(app)) as client:
        yield client


@asynccontextmanager
async def api(ledger: Ledger, **options: Any) -> AsyncIterator[Client]:
    async with serving(create_app(ledger, migrations=migrate.known(), **options)) as client:
        yield client


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


async def wait_for_lock_waiter(admin_dsn: str) -> None:
    async with await psycopg.AsyncConnection.connect(admin_dsn, autocommit=True) as conn:
        for _ in range(200):
            cursor = await conn.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'"
            )
            row = await cursor.fetchone()
            if row and row[0] >= 1:
                return
            await asyncio.sleep(0.02)
    raise AssertionError("the request never queued on the idempotency lock")
