"""Balance conditions per request (issue #17) through the shell: REST `POST /api/transfers`
and its batch items, the CLI's `--condition` on `doublex post` and `doublex holds
create|capture`, and under real concurrency: connections racing postings out of one
account, each on condition that the account's available balance stays at or above zero
after it, never leave it below zero, as seen by a reader while they run and at the end.
The rules are the ledger's (pgtap/23_conditions.sql tests each one); these tests check that
the shell passes conditions through and answers the ledger's codes."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from doublex.db import Ledger
from support.http import Client, api, balance, legs, ok, open_account, problem, transfer
from support.invariants import assert_ledger_invariants
from test_cli_holds import SPEND, cli  # noqa: F401 (cli: the fixture: CASH, WALLET 100.00, SHOP)
from test_cli_ledger import as_json, run
from test_holds_concurrency import call, connect, pair


def condition(account: str, op: str, amount: str, field: str | None = None) -> dict[str, str]:
    return {"account": account, "op": op, "amount": amount} | ({"field": field} if field else {})


@pytest.fixture
async def books(ledger: Ledger) -> AsyncIterator[Client]:
    """CASH (asset), WALLET (liability, no limits) funded with 100.00 EUR."""
    async with api(ledger) as client:
        await open_account(client, "CASH")
        await open_account(client, "WALLET", type="liability")
        await transfer(client, "fund", {"legs": legs("CASH", "WALLET", "100.00")})
        yield client


async def test_transfer_with_conditions_posts_or_is_refused_whole(books: Client) -> None:
    spend = legs("WALLET", "CASH", "30.00")
    posted = await transfer(
        books, "t-1", {"legs": spend, "conditions": [condition("WALLET", ">=", "70.00")]}
    )
    assert posted["status"] == "posted"
    assert await balance(books, "WALLET") == "70.00"

    refused = await books.post(
        "/api/transfers",
        json={
            "idempotency_key": "t-2",
            "legs": spend,
            "conditions": [
                condition("WALLET", "<=", "100", "posted"),
                condition("WALLET", ">=", "50"),
            ],
        },
    )
    document = await problem(refused, 422, "DX057")
    assert document["errors"][0]["field"] == "conditions[1]"
    assert "WALLET would be 40.00 EUR, not >= 50" in document["errors"][0]["message"]
    assert "threshold 50, actual 40.00" in document["detail"]
    assert await balance(books, "WALLET") == "70.00"  # nothing written
    # The key was not taken by the refused request.
    assert (await transfer(books, "t-2", {"legs": spend}))["status"] == "posted"


async def test_conditions_are_checked_by_the_ledger_and_fingerprinted(books: Client) -> None:
    malformed = await books.post(
        "/api/transfers",
        json={
            "idempotency_key": "t-bad",
            "legs": legs("WALLET", "CASH", "1.00"),
            "conditions": [condition("WALLET", ">=", "0"), condition("WALLET", "!=", "0")],
        },
    )
    assert (await problem(malformed, 422, "DX056"))["errors"][0]["field"] == "conditions[1].op"
    for wrong in ({"account": "WALLET"}, ["x"], [condition("WALLET", ">=", "1e3")]):
        response = await books.post(
            "/api/transfers",
            json={
                "idempotency_key": "t-bad",
                "legs": legs("WALLET", "CASH", "1.00"),
                "conditions": wrong,
            },
        )
        await problem(response, 422, "DX056")
    unknown = await books.post(
        "/api/transfers",
        json={"idempotency_key": "t-bad", "legs": legs("WALLET", "CASH", "1.00"),
              "conditions": [condition("NOPE", ">=", "0")]},
    )  # fmt: skip
    assert (await problem(unknown, 422, "DX006"))["errors"][0]["field"] == "conditions[0].account"

    request = {
        "legs": legs("WALLET", "CASH", "1.00"),
        "conditions": [condition("WALLET", ">=", "0")],
    }
    assert (await transfer(books, "t-f", request))["status"] == "posted"
    spelled_out = request | {"conditions": [condition("WALLET", ">=", "0", "available")]}
    assert (await transfer(books, "t-f", spelled_out, 200))["status"] == "duplicate"
    other = request | {"conditions": [condition("WALLET", ">=", "1")]}
    replay = await books.post("/api/transfers", json={"idempotency_key": "t-f"} | other)
    await problem(replay, 409, "DX011")
    without = await books.post(
        "/api/transfers", json={"idempotency_key": "t-f", "legs": request["legs"]}
    )
    await problem(without, 409, "DX011")


async def test_batch_items_take_conditions(books: Client) -> None:
    requests = [
        {"idempotency_key": "b-1", "legs": legs("WALLET", "CASH", "60.00"),
         "conditions": [condition("WALLET", ">=", "40")]},
        {"idempotency_key": "b-2", "legs": legs("WALLET", "CASH", "60.00"),
         "conditions": [condition("WALLET", ">=", "0")]},
        {"idempotency_key": "b-3", "legs": legs("WALLET", "CASH", "40.00"),
         "conditions": [condition("WALLET", "=", "0")]},
    ]  # fmt: skip
    results = (await ok(await books.post("/api/transfers/batch", json={"requests": requests})))[
        "results"
    ]
    assert [(r["status"], r["error_code"]) for r in results] == [
        ("posted", None), ("rejected", "DX057"), ("posted", None)]  # fmt: skip
    assert results[1]["error_field"] == "conditions[0]"
    assert await balance(books, "WALLET") == "0.00"


async def test_openapi_documents_one_balance_condition_model(books: Client) -> None:
    document = await ok(await books.get("/api/openapi.json"))
    schemas = document["components"]["schemas"]
    assert set(schemas["BalanceCondition"]["properties"]) == {"account", "field", "op", "amount"}
    assert schemas["BalanceCondition"]["properties"]["op"]["enum"] == [">=", "<=", "="]
    body = document["paths"]["/api/transfers"]["post"]["requestBody"]["content"]
    assert {"$ref": "#/components/schemas/Transfer"} in body["application/json"]["schema"]["anyOf"]
    conditions, null = schemas["Transfer"]["properties"]["conditions"]["anyOf"]
    assert null == {"type": "null"}  # null is the same as leaving it out
    assert conditions["items"] == {"$ref": "#/components/schemas/BalanceCondition"}
    assert conditions["maxItems"] == 20


# -- CLI -------------------------------------------------------------------------------------


def test_cli_conditions_on_post_and_holds(cli: CliRunner) -> None:  # noqa: F811 (the fixture)
    posted = as_json(
        cli, "post", *SPEND, "--condition", "WALLET>=70", "--condition", "posted:WALLET<=70.00"
    )
    assert posted["status"] == "posted"
    refused = run(cli, "post", *SPEND, "--condition", "available:WALLET>=41", code=1)
    assert "DX057" in refused.stderr and "conditions[0]" in refused.stderr
    assert "DX056" in run(cli, "post", *SPEND, "--condition", "WALLET>=x", code=1).stderr
    assert "--condition" in run(cli, "post", *SPEND, "--condition", "WALLET", code=2).stderr

    held = as_json(cli, "holds", "create", *SPEND, "--condition", "WALLET>=40")
    assert held["status"] == "pending"
    assert (
        "DX057" in run(cli, "holds", "create", *SPEND, "--condition", "WALLET>=40", code=1).stderr
    )
    hold_id = held["hold_id"]
    assert (
        "DX057"
        in run(cli, "holds", "capture", hold_id, "--condition", "posted:WALLET=70", code=1).stderr
    )
    captured = as_json(cli, "holds", "capture", hold_id, "--condition", "posted:WALLET=40")
    assert captured["status"] == "captured"


# -- concurrency -----------------------------------------------------------------------------

CONNECTIONS = 16
FUNDING = Decimal("200.00")


async def test_racing_postings_never_leave_a_condition_false_after_commit(
    app_dsn: str, admin_dsn: str, admin_conn: psycopg.Connection[tuple[Any, ...]]
) -> None:
    """WALLET has no limits: only each posting's condition (available >= 0 after it) keeps
    it from going below zero, so a condition checked on a stale balance would show here."""
    admin_conn.execute("SET default_transaction_isolation = 'serializable'")
    for code, kind in (("CASH", "asset"), ("WALLET", "liability")):
        admin_conn.execute("SELECT ledger.create_account(%s, %s, 'EUR', %s)", (code, code, kind))
    admin_conn.execute("SELECT ledger.post_journal('fund', %s)", (pair("CASH", "WALLET", FUNDING),))
    answers: Counter[str] = Counter()
    retries: Counter[str] = Counter()
    seen: list[Decimal] = []
    done = asyncio.Event()
    guard = psycopg.types.json.Jsonb([condition("WALLET", ">=", "0")])

    async def worker(n: int) -> None:
        rng = random.Random(n)
        conn = await connect(app_dsn)
        try:
            for i in range(10):
                amount = Decimal(rng.randint(100, 3000)) / 100
                answers[
                    await call(
                        conn,
                        "SELECT ledger.post_journal(%s, %s, conditions => %s)",
                        (f"w{n}-{i}", pair("WALLET", "CASH", amount), guard),
                        retries,
                    )
                ] += 1
        finally:
            await conn.close()

    async def reader() -> None:
        conn = await connect(app_dsn)
        try:
            while not done.is_set():
                async with conn.transaction():
                    cur = await conn.execute(
                        "SELECT available FROM ledger.get_available_balance('WALLET')"
                    )
                    row = await cur.fetchone()
                assert row is not None
                seen.append(row[0])
                await asyncio.sleep(0.002)
        finally:
            await conn.close()

    watching = asyncio.create_task(reader())
    await asyncio.gather(*(worker(n) for n in range(CONNECTIONS)))
    done.set()
    await watching

    final = admin_conn.execute(
        "SELECT available FROM ledger.get_available_balance('WALLET')"
    ).fetchone()
    assert final is not None
    assert final[0] >= 0, (answers, retries)
    assert seen and min(seen) >= 0, min(seen)
    assert answers["ok"] > 0 and answers["DX057"] > 0, answers  # the condition was reached
    assert set(answers) <= {"ok", "DX057"}, answers
    assert_ledger_invariants(admin_dsn)
