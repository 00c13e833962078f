"""Balance monitors end to end: the REST routes (create, list, delete, each refusal with its
code and field) with the events they write read back from GET /api/events; the CLI; and
real concurrency: many SERIALIZABLE transactions crossing one threshold at once announce
the crossing exactly once (the state row), round after round. The Hypothesis model of
postings, holds, captures and voids is tests/test_monitors_model.py; every function and
error by SQLSTATE, pgtap/24_monitors.sql."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from psycopg.types.json import Jsonb

from doublex.db import Ledger
from support.events import read_events, sequence_all
from support.http import Client, api, legs, ok, open_account, problem
from support.invariants import assert_ledger_invariants
from test_cli_ledger import as_json, run

AConn = psycopg.AsyncConnection[tuple[Any, ...]]
RETRYABLE = frozenset({"40001", "40P01"})


def monitor_events(admin_dsn: str, tenant: str = "default") -> list[tuple[str, str, str]]:
    """(type, account, value) of the tenant's monitor events, in commit order."""
    sequence_all(admin_dsn)
    return [
        (e["type"], e["payload"]["account"], e["payload"]["value"])
        for e in read_events(admin_dsn, tenant=tenant)
        if e["type"].startswith("monitor.")
    ]


@pytest.fixture
async def client(ledger: Ledger) -> Any:
    async with api(ledger) as c:
        for code, kind in (("1001-CASH", "asset"), ("2001-WALLET", "liability")):
            await open_account(c, code, type=kind)
        yield c


async def transfer(client: Client, key: str, debit: str, credit: str, amount: str) -> None:
    body = {"idempotency_key": key, "legs": legs(debit, credit, amount)}
    await ok(await client.post("/api/transfers", json=body), 201)


async def test_rest_create_list_delete_and_the_events(client: Client, admin_dsn: str) -> None:
    watch = {"account": "2001-WALLET", "field": "available", "condition": "<", "threshold": "-5"}
    created = await ok(await client.post("/api/monitors", json=watch), 201)
    assert (created["account"], created["account_type"], created["threshold"]) == (
        "2001-WALLET", None, "-5")  # fmt: skip
    assert created["triggered"] == []
    by_type = {"account_type": "asset", "field": "posted", "condition": ">=", "threshold": "0"}
    typed = await ok(await client.post("/api/monitors", json=by_type), 201)
    assert typed["triggered"] == ["1001-CASH"]  # 0 >= 0 holds at once

    await transfer(client, "t1", "2001-WALLET", "1001-CASH", "10.00")  # WALLET -10, CASH -10
    await transfer(client, "t2", "1001-CASH", "2001-WALLET", "4.00")  # WALLET -6: still < -5
    await transfer(client, "t3", "1001-CASH", "2001-WALLET", "7.00")  # WALLET 1, CASH 1
    assert monitor_events(admin_dsn) == [
        ("monitor.triggered", "1001-CASH", "0.00"),
        ("monitor.triggered", "2001-WALLET", "-10.00"),
        ("monitor.resolved", "1001-CASH", "-10.00"),
        ("monitor.triggered", "1001-CASH", "1.00"),
        ("monitor.resolved", "2001-WALLET", "1.00"),
    ]
    page = await ok(await client.get("/api/events?types=monitor.triggered,monitor.resolved"))
    first = page["items"][1]
    assert first["payload"] == {
        "monitor_id": created["monitor_id"], "account": "2001-WALLET", "ccy": "EUR",
        "field": "available", "condition": "<", "threshold": "-5", "value": "-10.00",
    }  # fmt: skip
    assert first["actor"].startswith("key:dxk_")

    listed = await ok(await client.get("/api/monitors"))
    assert [(m["monitor_id"], m["triggered"]) for m in listed["items"]] == [
        (created["monitor_id"], []),
        (typed["monitor_id"], ["1001-CASH"]),
    ]
    gone = await ok(await client.delete(f"/api/monitors/{typed['monitor_id']}"))
    assert gone["triggered"] == ["1001-CASH"]
    await problem(await client.delete(f"/api/monitors/{typed['monitor_id']}"), 404, "DX064")
    assert [m["monitor_id"] for m in (await ok(await client.get("/api/monitors")))["items"]] == [
        created["monitor_id"]
    ]


def watch(**fields: Any) -> dict[str, Any]:
    """A valid monitor of 1001-CASH with `fields` changed (None: left out)."""
    body = {"account": "1001-CASH", "field": "posted", "condition": "<", "threshold": "1"}
    return {k: v for k, v in (body | fields).items() if v is not None}


REFUSALS = [
    (watch(account=None), 422, "DX063", "account"),
    (watch(account_type="asset"), 422, "DX063", "account"),
    (watch(account=None, account_type="assets"), 422, "DX063", "account_type"),
    (watch(field="pending"), 422, "DX063", "field"),
    (watch(field=None), 422, "DX063", "field"),
    (watch(condition="=="), 422, "DX063", "condition"),
    (watch(threshold=None), 422, "DX063", "threshold"),
    (watch(threshold="1" + "0" * 20), 422, "DX063", "threshold"),
    (watch(threshold=1), 422, "invalid_request", "threshold"),
    (watch(threshold="1e3"), 422, "invalid_request", "threshold"),
    (watch(account="9-NOPE"), 404, "DX020", "account"),
]


@pytest.mark.parametrize(("body", "status", "code", "field"), REFUSALS)
async def test_rest_refusals_name_the_field(
    client: Client, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    document = await problem(await client.post("/api/monitors", json=body), status, code)
    assert document["errors"][0]["field"] == field
    assert (await ok(await client.get("/api/monitors")))["items"] == []


async def test_rest_bad_monitor_id(client: Client) -> None:
    await problem(await client.delete("/api/monitors/not-a-uuid"), 404, "not_found")


def test_cli(admin_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOUBLEX_DSN", admin_dsn)
    monkeypatch.delenv("DOUBLEX_SERVICE_DSN", raising=False)
    cli = CliRunner()
    run(cli, "accounts", "create", "CASH", "Cash", "--ccy", "EUR")
    created = as_json(cli, "monitors", "create", "--account", "CASH", "--field", "posted",
                      "--condition", ">", "--threshold", "-0.5")  # fmt: skip
    assert (created["account"], created["triggered"]) == ("CASH", ["CASH"])
    typed = as_json(cli, "monitors", "create", "--account-type", "income", "--field",
                    "available", "--condition", "<=", "--threshold", "100")  # fmt: skip
    table = run(cli, "monitors", "list").stdout
    assert "posted > -0.5" in table and "every income account" in table and "CASH" in table
    assert [m["monitor_id"] for m in as_json(cli, "monitors", "list")] == [
        created["monitor_id"], typed["monitor_id"]]  # fmt: skip
    refused = run(cli, "monitors", "create", "--account", "CASH", "--field", "posted",
                  "--condition", "=", "--threshold", "1", code=1)  # fmt: skip
    assert "DX063" in refused.stderr and "condition" in refused.stderr
    deleted = run(cli, "monitors", "delete", typed["monitor_id"]).stdout
    assert "every income account" in deleted
    assert "DX064" in run(cli, "monitors", "delete", typed["monitor_id"], code=1).stderr
    assert len(as_json(cli, "monitors", "list")) == 1


# Concurrency ----------------------------------------------------------------------------------
ROUNDS = 4
RACERS = 8


def pair(debit: str, credit: str, amount: Decimal) -> Jsonb:
    return Jsonb(legs(debit, credit, str(amount)))


async def post_until_done(conn: AConn, key: str, body: Jsonb, retries: Counter[str]) -> None:
    """One SERIALIZABLE posting to its end, retried on 40001/40P01 as the shell does."""
    for _ in range(200):
        try:
            async with conn.transaction():
                await conn.execute("SELECT ledger.post_journal(%s, %s)", (key, body))
            return
        except psycopg.Error as exc:
            if (exc.sqlstate or "") not in RETRYABLE:
                raise
            retries[exc.sqlstate or ""] += 1
            await asyncio.sleep(random.uniform(0, 0.005))
    raise AssertionError("retry budget exhausted")


async def race(conns: list[AConn], tag: str, body: Jsonb, retries: Counter[str]) -> None:
    """One posting of `body` on every connection, all released at once."""
    start = asyncio.Event()

    async def racer(i: int, conn: AConn) -> None:
        await start.wait()
        await post_until_done(conn, f"{tag}-{i}", body, retries)

    tasks = [asyncio.ensure_future(racer(i, conn)) for i, conn in enumerate(conns)]
    start.set()
    await asyncio.gather(*tasks)


async def test_concurrent_crossings_fire_once(app_dsn: str, admin_dsn: str) -> None:
    """RACERS transactions at once, each of which alone crosses WALLET's threshold (available
    below 100 from 1000, one 950.00 debit each), then RACERS at once that each alone cross
    back: one monitor.triggered and one monitor.resolved per round, never two."""
    retries: Counter[str] = Counter()
    conns = [await psycopg.AsyncConnection.connect(app_dsn) for _ in range(RACERS)]
    try:
        setup = conns[0]
        for sql in (
            "SELECT ledger.create_account('CASH', 'Cash', 'EUR')",
            "SELECT ledger.create_account('WALLET', 'Wallet', 'EUR', 'liability')",
        ):
            async with setup.transaction():
                await setup.execute(sql)
        await post_until_done(setup, "fund", pair("CASH", "WALLET", Decimal(1000)), retries)
        with psycopg.connect(admin_dsn) as admin:
            admin.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
            admin.execute("SELECT ledger.create_monitor('WALLET', NULL, 'available', '<', 100)")
        for n in range(ROUNDS):
            for tag, debit, credit in (("down", "WALLET", "CASH"), ("up", "CASH", "WALLET")):
                await race(conns, f"{tag}{n}", pair(debit, credit, Decimal(950)), retries)
    finally:
        for conn in conns:
            await conn.close()
    events = monitor_events(admin_dsn)
    assert [kind for kind, _, _ in events] == ["monitor.triggered", "monitor.resolved"] * ROUNDS
    # Each announcement names a value the threshold was crossed at: after k of the racers.
    assert all(Decimal(value) < 100 for kind, _, value in events if kind == "monitor.triggered")
    assert all(Decimal(value) >= 100 for kind, _, value in events if kind == "monitor.resolved")
    assert sum(retries.values()) > 0, "the racers never overlapped"
    assert_ledger_invariants(admin_dsn)
    print(f"monitors: {ROUNDS * 2 * RACERS} racing postings, {dict(retries)} retries, "
          f"{len(events)} events")  # fmt: skip
