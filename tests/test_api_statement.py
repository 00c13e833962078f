"""GET /api/accounts/{code}/statement over HTTP on a real database: the statement a page at
a time, every page's legs together equal to the ledger's one statement (running balances
continued across cursors), the closing row on the last page only, the bounds' problems, and
another tenant's key seeing none of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest

from doublex import jsonio
from doublex.db import Ledger
from support.http import Client, api, ok, problem
from support.statements import JOURNALS, seed, sql_statement
from support.tenants import tenant_key


@pytest.fixture
async def books(ledger: Ledger) -> AsyncIterator[tuple[Client, date]]:
    today = await seed(ledger)
    async with api(ledger) as client:
        yield client, today


def url(code: str, first: date, last: date, extra: str = "") -> str:
    return f"/api/accounts/{code}/statement?from={first}&to={last}{extra}"


async def pages(client: Client, code: str, first: date, last: date, limit: int) -> list[Any]:
    """Every page, following next_cursor; each page but the last is full."""
    items: list[Any] = []
    cursor = ""
    for _ in range(1000):
        body = await ok(await client.get(url(code, first, last, f"&limit={limit}{cursor}")))
        items += body["items"]
        if body["next_cursor"] is None:
            assert body["items"][-1]["kind"] == "closing"
            return items
        assert sum(item["kind"] == "leg" for item in body["items"]) == limit
        assert body["next_cursor"] == body["items"][-1]["cursor"]
        cursor = f"&cursor={body['next_cursor']}"
    raise AssertionError("the pages never end")


async def test_pages_together_are_the_statement(books: tuple[Client, date], ledger: Ledger) -> None:
    client, today = books
    first, last = today - timedelta(days=120), today
    expected = jsonio.loads(jsonio.dumps(await sql_statement(ledger, "CASH", first, last)))
    whole = await ok(await client.get(url("CASH", first, last)))
    assert (whole["items"], whole["next_cursor"]) == (expected, None)
    for limit in (1, 7, JOURNALS + 1):
        assert await pages(client, "CASH", first, last, limit) == expected
    legs = [item for item in expected if item["kind"] == "leg"]
    assert len(legs) == JOURNALS + 1  # every journal and the reversal, once each
    assert [item["kind"] for item in expected[:: len(expected) - 1]] == ["opening", "closing"]
    assert isinstance(legs[0]["amount"], str) and isinstance(legs[-1]["balance"], str)
    assert legs[-1]["balance"] == expected[-1]["balance"]


async def test_a_closed_period_opens_and_closes_on_its_snapshots(
    books: tuple[Client, date],
) -> None:
    client, today = books
    first, last = today - timedelta(days=60), today - timedelta(days=31)
    body = await ok(await client.get(url("SALES", first, last)))
    opening = await ok(
        await client.get(f"/api/accounts/SALES/balance?as_of={first - timedelta(days=1)}")
    )
    closing = await ok(await client.get(f"/api/accounts/SALES/balance?as_of={last}"))
    assert (opening["snapshot_source"], closing["snapshot_source"]) == ("snapshot", "snapshot")
    assert body["items"][0]["balance"] == opening["balance"]
    assert body["items"][-1]["balance"] == closing["balance"]
    dates = {item["effective_date"] for item in body["items"] if item["kind"] == "leg"}
    assert dates and min(dates) >= first.isoformat() and max(dates) <= last.isoformat()


async def test_bounds_answer_problems_naming_the_field(books: tuple[Client, date]) -> None:
    client, today = books
    year_ago = today - timedelta(days=366)
    cases = [
        (url("CASH", today, today - timedelta(days=1)), 422, "DX029", "from_date"),
        (url("CASH", year_ago, today), 422, "DX029", "to_date"),
        (url("CASH", today, today, "&cursor=nope"), 422, "DX019", "cursor"),
        (url("CASH", today, today, "&limit=0"), 422, "DX019", "page_size"),
        (url("NOPE", today, today), 404, "DX020", None),
        (f"/api/accounts/CASH/statement?from={today}", 422, "invalid_request", "to"),
        (f"/api/accounts/CASH/statement?from=today&to={today}", 422, "invalid_request", "from"),
    ]
    for path, status, code, field in cases:
        document = await problem(await client.get(path), status, code)
        if field is not None:
            assert field in {item["field"] for item in document["errors"]}, document


async def test_another_tenants_key_finds_no_such_account(
    books: tuple[Client, date], ledger: Ledger, admin_dsn: str
) -> None:
    _, today = books
    async with api(ledger, key=tenant_key(admin_dsn, "acme")) as theirs:
        await problem(
            await theirs.get(url("CASH", today - timedelta(days=10), today)), 404, "DX020"
        )
