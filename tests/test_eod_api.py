"""End of day over HTTP, through the real aiohttp server on a real database: balances as of
closed dates (snapshot) and open ones (live), account history, the business calendar, and
the problems a posting on a closed date gets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest

from doublex.db import Ledger
from support.http import Client, api, legs, ok, open_account, problem, transfer


@pytest.fixture
async def client(ledger: Ledger) -> AsyncIterator[Client]:
    async with api(ledger) as opened:
        yield opened


@pytest.fixture
async def closed_books(client: Client, ledger: Ledger) -> tuple[Client, date]:
    """CASH and SALES with postings on d-3 and d-1 and today; closed through d-1."""
    await open_account(client, "1001-CASH")
    await open_account(client, "4001-SALES", type="income")
    today = await ledger.business_date()
    for key, back, amount in (("a", 3, "10.00"), ("b", 1, "2.50"), ("c", 0, "1.00")):
        day = (today - timedelta(days=back)).isoformat()
        await transfer(
            client, key, {"legs": legs("1001-CASH", "4001-SALES", amount), "effective_date": day}
        )
    await ledger.eod_close(today - timedelta(days=1))
    return client, today


async def test_balance_as_of_closed_and_open_dates(closed_books: tuple[Client, date]) -> None:
    client, today = closed_books
    closed = await ok(
        await client.get(f"/api/accounts/1001-CASH/balance?as_of={today - timedelta(days=2)}")
    )
    assert (closed["balance"], closed["snapshot_source"]) == ("10.00", "snapshot")
    live = await ok(await client.get(f"/api/accounts/1001-CASH/balance?as_of={today}"))
    assert (live["balance"], live["debits"], live["snapshot_source"]) == ("13.50", "13.50", "live")


async def test_history_per_closed_date(closed_books: tuple[Client, date]) -> None:
    client, today = closed_books
    frm, to = today - timedelta(days=10), today
    body = await ok(await client.get(f"/api/accounts/4001-SALES/history?from={frm}&to={to}"))
    assert body == {
        "items": [
            {
                "account": "4001-SALES",
                "ccy": "EUR",
                "business_date": (today - timedelta(days=3)).isoformat(),
                "opening_balance": "0.00",
                "debits": "0.00",
                "credits": "10.00",
                "closing_balance": "10.00",
            },
            {
                "account": "4001-SALES",
                "ccy": "EUR",
                "business_date": (today - timedelta(days=1)).isoformat(),
                "opening_balance": "10.00",
                "debits": "0.00",
                "credits": "2.50",
                "closing_balance": "12.50",
            },
        ]
    }
    everything = await ok(await client.get("/api/accounts/4001-SALES/history/"))
    assert len(everything["items"]) == 2
    await problem(await client.get("/api/accounts/NOPE/history"), 404, "DX020")
    await problem(
        await client.get(f"/api/accounts/1001-CASH/history?from={to}&to={frm}"), 422, "DX029"
    )
    await problem(
        await client.get("/api/accounts/1001-CASH/history?from=yesterday"), 422, "invalid_request"
    )


async def test_eod_status(closed_books: tuple[Client, date]) -> None:
    client, today = closed_books
    body = await ok(await client.get("/api/eod"))
    assert body["tenant"] == "default"
    assert (body["time_zone"], body["cutoff"]) == ("UTC", "00:00:00")
    assert body["business_date"] == today.isoformat()
    assert body["latest_closed_date"] == (today - timedelta(days=1)).isoformat()
    assert body["open_dates"] == [today.isoformat()]
    assert body["next_posting_date"] == today.isoformat()
    assert len(body["last_seal"]) == 64


async def test_posting_on_a_closed_date_is_a_409_problem(closed_books: tuple[Client, date]) -> None:
    client, today = closed_books
    document = await problem(
        await client.post(
            "/api/transfers",
            json={
                "idempotency_key": "late",
                "legs": legs("1001-CASH", "4001-SALES", "1.00"),
                "effective_date": (today - timedelta(days=1)).isoformat(),
            },
        ),
        409,
        "DX025",
    )
    assert document["errors"][0]["field"] == "effective_date"
    # Without a date the posting lands on the next open date.
    posted = await transfer(client, "undated", {"legs": legs("1001-CASH", "4001-SALES", "1.00")})
    assert posted["effective_date"] == today.isoformat()
