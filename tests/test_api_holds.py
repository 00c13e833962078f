"""Holds and limits through REST (issue #17), on a real aiohttp server and a real database:
a card authorisation (hold, partial capture, release of the rest, expiry of an abandoned
hold) and a credit-limited wallet with the balances right after every step; every hold
error code with its HTTP status; replays; another tenant's holds; a capture racing a void;
the counters; and the expiry sweep of a real `doublex serve`."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from doublex.db import Ledger
from support.http import (
    Client,
    Samples,
    api,
    bearer,
    create_key,
    legs,
    ok,
    open_account,
    problem,
    transfer,
)
from support.serving import doublex_serve
from support.tenants import create_tenants

HOLDS = "ledger_holds_total"


def soon(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def wait_past(moment: str) -> None:
    left = (datetime.fromisoformat(moment) - datetime.now(UTC)).total_seconds()
    await asyncio.sleep(max(0.0, left) + 0.2)


async def position(client: Client, code: str) -> tuple[str, ...]:
    """posted, pending_debits, pending_credits, available of the REST balance (and balance =
    posted, kept for the earlier callers)."""
    body = await ok(await client.get(f"/api/accounts/{code}/balance"))
    assert body["balance"] == body["posted"], body
    return tuple(body[f] for f in ("posted", "pending_debits", "pending_credits", "available"))


async def hold(client: Client, key: str, request_legs: Any, status: int = 201, **extra: Any) -> Any:
    body = {"idempotency_key": key, "legs": request_legs} | extra
    return await ok(await client.post("/api/holds", json=body), status)


async def capture(client: Client, hold_id: str, key: str, status: int = 201, **extra: Any) -> Any:
    body = {"idempotency_key": key} | extra
    return await ok(await client.post(f"/api/holds/{hold_id}/capture", json=body), status)


async def void(client: Client, hold_id: str, key: str, status: int = 200) -> Any:
    response = await client.post(f"/api/holds/{hold_id}/void", json={"idempotency_key": key})
    return await ok(response, status)


@pytest.fixture
async def card(ledger: Ledger) -> Any:
    """A cardholder's funds (liability, never negative) of 100.00, a settlement account."""
    async with api(ledger) as client:
        await open_account(client, "1001-CASH")
        await open_account(client, "2001-CARDHOLDER", type="liability", allow_negative=False)
        await open_account(client, "2900-SETTLEMENT", type="liability")
        await transfer(client, "fund", {"legs": legs("1001-CASH", "2001-CARDHOLDER", "100.00")})
        yield client


async def test_card_authorisation_flow(card: Client, ledger: Ledger) -> None:
    client = card
    counted = Samples(*((HOLDS, {"status": s}) for s in ("created", "captured", "expired")))
    assert await position(client, "2001-CARDHOLDER") == ("100.00", "0.00", "0.00", "100.00")

    # Authorise 80.00: reserved at once, nothing posted.
    auth = await hold(
        client, "auth-1", legs("2001-CARDHOLDER", "2900-SETTLEMENT", "80.00"), memo="card auth"
    )
    assert auth["status"] == "pending" and auth["expires_at"] is None
    assert await position(client, "2001-CARDHOLDER") == ("100.00", "80.00", "0.00", "20.00")
    assert await position(client, "2900-SETTLEMENT") == ("0.00", "0.00", "80.00", "0.00")

    # A second authorisation beyond the available balance is refused.
    over = await client.post(
        "/api/holds",
        json={
            "idempotency_key": "auth-2",
            "legs": legs("2001-CARDHOLDER", "2900-SETTLEMENT", "20.01"),
        },
    )
    await problem(over, 422, "DX010")
    assert await position(client, "2001-CARDHOLDER") == ("100.00", "80.00", "0.00", "20.00")

    # The merchant settles 60.00 of it: a journal of 60.00, the other 20.00 released.
    captured = await capture(client, auth["hold_id"], "cap-1", amounts=["60.00", "60.00"])
    assert captured["status"] == "captured" and captured["journal_id"]
    assert await position(client, "2001-CARDHOLDER") == ("40.00", "0.00", "0.00", "40.00")
    assert await position(client, "2900-SETTLEMENT") == ("60.00", "0.00", "0.00", "60.00")
    shown = await ok(await client.get(f"/api/holds/{auth['hold_id']}"))
    assert (shown["status"], shown["journal_id"], shown["memo"]) == (
        "captured",
        captured["journal_id"],
        "card auth",
    )
    assert [leg["amount"] for leg in shown["legs"]] == ["80.00", "80.00"]
    journal = await ok(await client.get(f"/api/journals/{captured['journal_id']}"))
    assert [leg["amount"] for leg in journal["legs"]] == ["60.00", "60.00"]

    # An abandoned authorisation expires: released for every balance before any sweep.
    expires_at = soon(2)
    abandoned = await hold(
        client, "auth-3", legs("2001-CARDHOLDER", "2900-SETTLEMENT", "30.00"), expires_at=expires_at
    )
    assert await position(client, "2001-CARDHOLDER") == ("40.00", "30.00", "0.00", "10.00")
    await wait_past(expires_at)
    assert await position(client, "2001-CARDHOLDER") == ("40.00", "0.00", "0.00", "40.00")
    expired = await ok(await client.get(f"/api/holds/{abandoned['hold_id']}"))
    assert (expired["status"], expired["resolved_at"]) == ("expired", None)
    late = await client.post(
        f"/api/holds/{abandoned['hold_id']}/capture", json={"idempotency_key": "c3"}
    )
    await problem(late, 409, "DX052")
    assert await ledger.expire_holds() == 1  # the sweep records it (doublex maintain)
    marked = await ok(await client.get(f"/api/holds/{abandoned['hold_id']}"))
    assert marked["status"] == "expired" and marked["resolved_at"] is not None
    assert await position(client, "2001-CARDHOLDER") == ("40.00", "0.00", "0.00", "40.00")
    listed = await ok(await client.get("/api/holds?account=2001-CARDHOLDER"))
    assert [h["status"] for h in listed["items"]] == ["captured", "expired"]
    assert counted.delta() == {
        f'{HOLDS}{{status="created"}}': 2,
        f'{HOLDS}{{status="captured"}}': 1,
        f'{HOLDS}{{status="expired"}}': 1,
    }


async def test_credit_limited_wallet(ledger: Ledger) -> None:
    async with api(ledger) as client:
        await open_account(client, "1001-CASH")
        await open_account(client, "2001-WALLET", type="liability")
        await open_account(client, "4001-SHOP", type="income")
        limits = await ok(
            await client.put(
                "/api/accounts/2001-WALLET/limits",
                json={"min_balance": "-500", "max_balance": None},
            )
        )
        assert (limits["min_balance"], limits["max_balance"], limits["available"]) == (
            "-500",
            None,
            "0.00",
        )
        balance = await ok(await client.get("/api/accounts/2001-WALLET/balance"))
        assert (balance["min_balance"], balance["max_balance"]) == ("-500", None)

        def spend(amount: str) -> dict[str, Any]:
            return {"legs": legs("2001-WALLET", "4001-SHOP", amount)}

        await transfer(client, "buy-1", spend("300.00"))
        assert await position(client, "2001-WALLET") == ("-300.00", "0.00", "0.00", "-300.00")
        pending = await hold(client, "hold-1", legs("2001-WALLET", "4001-SHOP", "150.00"))
        assert await position(client, "2001-WALLET") == ("-300.00", "150.00", "0.00", "-450.00")
        refused = await client.post(
            "/api/holds", json={"idempotency_key": "hold-2"} | spend("50.01")
        )
        document = await problem(refused, 422, "DX010")
        assert "2001-WALLET" in document["detail"]
        refused = await client.post(
            "/api/transfers", json={"idempotency_key": "buy-2"} | spend("50.01")
        )
        await problem(refused, 422, "DX010")
        assert await position(client, "2001-WALLET") == ("-300.00", "150.00", "0.00", "-450.00")
        await transfer(client, "buy-3", spend("50.00"))
        assert await position(client, "2001-WALLET") == ("-350.00", "150.00", "0.00", "-500.00")
        await void(client, pending["hold_id"], "void-1")
        assert await position(client, "2001-WALLET") == ("-350.00", "0.00", "0.00", "-350.00")

        # A ceiling counts pending increases too.
        await ok(
            await client.put(
                "/api/accounts/2001-WALLET/limits",
                json={"min_balance": "-500", "max_balance": "100"},
            )
        )
        top_up = {"legs": legs("1001-CASH", "2001-WALLET", "400.00")}
        await hold(client, "top-up-1", top_up["legs"])
        assert await position(client, "2001-WALLET") == ("-350.00", "0.00", "400.00", "-350.00")
        more = await client.post(
            "/api/holds",
            json={"idempotency_key": "top-up-2", "legs": legs("1001-CASH", "2001-WALLET", "50.01")},
        )
        await problem(more, 422, "DX054")
        # Cleared: no limit at all.
        cleared = await ok(
            await client.put(
                "/api/accounts/2001-WALLET/limits", json={"min_balance": None, "max_balance": None}
            )
        )
        assert (cleared["min_balance"], cleared["max_balance"]) == (None, None)
        await transfer(client, "buy-4", spend("1000.00"))
        assert await position(client, "2001-WALLET") == ("-1350.00", "0.00", "400.00", "-1350.00")
        audit = await ok(await client.get("/api/audit"))
        assert [e["object"] for e in audit["items"] if e["action"] == "set_account_limits"] == [
            "2001-WALLET"
        ] * 3


async def test_hold_and_capture_with_balance_conditions(card: Client) -> None:
    """A hold and a capture refused whole when their balance condition is false right after
    them (DX057), and made when it holds."""
    reserve = legs("2001-CARDHOLDER", "2900-SETTLEMENT", "70.00")
    keep_50 = [{"account": "2001-CARDHOLDER", "op": ">=", "amount": "50.00"}]
    refused = await client_post(card, "/api/holds", reserve, "cond-1", keep_50)
    await problem(refused, 422, "DX057")
    assert await position(card, "2001-CARDHOLDER") == ("100.00", "0.00", "0.00", "100.00")

    keep_30 = [{"account": "2001-CARDHOLDER", "field": "available", "op": ">=", "amount": "30"}]
    made = await hold(card, "cond-2", reserve, conditions=keep_30)
    assert await position(card, "2001-CARDHOLDER") == ("100.00", "70.00", "0.00", "30.00")

    posted_is_60 = [{"account": "2001-CARDHOLDER", "field": "posted", "op": "=", "amount": "60"}]
    wrong = await card.post(
        f"/api/holds/{made['hold_id']}/capture",
        json={
            "idempotency_key": "cap-c1",
            "amounts": ["50.00", "50.00"],
            "conditions": posted_is_60,
        },
    )
    await problem(wrong, 422, "DX057")
    assert await position(card, "2001-CARDHOLDER") == ("100.00", "70.00", "0.00", "30.00")
    done = await capture(
        card, made["hold_id"], "cap-c2", amounts=["40.00", "40.00"], conditions=posted_is_60
    )
    assert done["status"] == "captured"
    assert await position(card, "2001-CARDHOLDER") == ("60.00", "0.00", "0.00", "60.00")

    malformed = [{"account": "2001-CARDHOLDER", "op": "<>", "amount": "1"}]
    bad = await client_post(card, "/api/holds", reserve, "cond-3", malformed)
    await problem(bad, 422, "DX056")


async def client_post(
    client: Client, path: str, request_legs: Any, key: str, conditions: Any
) -> Any:
    body = {"idempotency_key": key, "legs": request_legs, "conditions": conditions}
    return await client.post(path, json=body)


async def test_every_hold_error_with_its_status(card: Client) -> None:
    client = card
    nowhere = "0190f5c2-0000-7000-8000-000000000000"
    await problem(await client.get(f"/api/holds/{nowhere}"), 404, "DX049")
    await problem(
        await client.post(f"/api/holds/{nowhere}/capture", json={"idempotency_key": "x"}),
        404,
        "DX049",
    )
    await problem(
        await client.post(f"/api/holds/{nowhere}/void", json={"idempotency_key": "x"}), 404, "DX049"
    )
    pair = legs("2001-CARDHOLDER", "2900-SETTLEMENT", "10.00")
    first = await hold(client, "e-1", pair)
    second = await hold(client, "e-2", pair)
    await capture(client, first["hold_id"], "e-cap-1")

    async def post(path: str, body: dict[str, Any], status: int, code: str) -> dict[str, Any]:
        return await problem(await client.post(path, json=body), status, code)

    on_first = f"/api/holds/{first['hold_id']}"
    on_second = f"/api/holds/{second['hold_id']}"
    await post(f"{on_first}/capture", {"idempotency_key": "e-cap-2"}, 409, "DX050")
    await post(f"{on_first}/void", {"idempotency_key": "e-void-1"}, 409, "DX050")
    await void(client, second["hold_id"], "e-void-2")
    await post(f"{on_second}/void", {"idempotency_key": "e-void-3"}, 409, "DX051")
    await post(f"{on_second}/capture", {"idempotency_key": "e-cap-3"}, 409, "DX051")
    third = await hold(client, "e-3", pair, expires_at=soon(1.5))
    on_third = f"/api/holds/{third['hold_id']}"
    for amounts, where in (
        (["10.00"], "amounts"),
        (["10.01", "10.01"], "amounts[0]"),
        (["10.00", "abc"], "amounts[1]"),
        (["0", "0"], "amounts"),
        ("10.00", "amounts"),
    ):
        body = {"idempotency_key": f"e-cap-{where}-{amounts}", "amounts": amounts}
        document = await post(f"{on_third}/capture", body, 422, "DX053")
        assert document["errors"][0]["field"] == where, document
    await wait_past(third["expires_at"])
    await post(f"{on_third}/capture", {"idempotency_key": "e-cap-4"}, 409, "DX052")
    await post(f"{on_third}/void", {"idempotency_key": "e-void-4"}, 409, "DX052")
    # DX054: above a maximum, counting pending increases.
    await ok(
        await client.put(
            "/api/accounts/2900-SETTLEMENT/limits", json={"min_balance": None, "max_balance": "15"}
        )
    )
    await post("/api/holds", {"idempotency_key": "e-4", "legs": pair}, 422, "DX054")
    # DX055: an expiry not in the future, an unknown status, min above max.
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    document = await post(
        "/api/holds", {"idempotency_key": "e-5", "legs": pair, "expires_at": past}, 422, "DX055"
    )
    assert document["errors"][0]["field"] == "expires_at"
    await problem(await client.get("/api/holds?status=lost"), 422, "DX055")
    refused = await client.put(
        "/api/accounts/2900-SETTLEMENT/limits", json={"min_balance": "10", "max_balance": "5"}
    )
    await problem(refused, 422, "DX055")
    # The key of a capture reused for another request; the shell's own checks.
    await post(f"{on_second}/void", {"idempotency_key": "e-cap-1"}, 409, "DX011")
    await post("/api/holds", {"legs": pair}, 422, "invalid_request")
    await problem(await client.get("/api/holds/not-a-uuid"), 404, "not_found")
    await problem(await client.get("/api/holds?cursor=nope"), 422, "invalid_request")
    await problem(await client.get("/api/holds?account=NOPE"), 404, "DX020")
    limits = await client.put(
        "/api/accounts/2900-SETTLEMENT/limits", json={"min_balance": 5, "max_balance": None}
    )
    await problem(limits, 422, "invalid_request")
    unnamed = await client.put("/api/accounts/2900-SETTLEMENT/limits", json={"min_balance": "1"})
    assert (await problem(unnamed, 422, "invalid_request"))["errors"][0]["field"] == "max_balance"
    await problem(
        await client.put(
            "/api/accounts/NOPE/limits", json={"min_balance": "5", "max_balance": None}
        ),
        404,
        "DX020",
    )


async def test_a_replay_answers_duplicate_with_the_same_body(card: Client) -> None:
    client = card
    pair = legs("2001-CARDHOLDER", "2900-SETTLEMENT", "10.00")
    duplicates = Samples((HOLDS, {"status": "duplicate"}))
    made = await hold(client, "r-1", pair, expires_at=soon(3600))
    again = await hold(client, "r-1", pair, expires_at=made["expires_at"], status=200)
    assert again == made | {"status": "duplicate"}
    # The key may come as the Idempotency-Key header.
    header = {"Idempotency-Key": "r-1"}
    by_header = await client.post(
        "/api/holds", json={"legs": pair, "expires_at": made["expires_at"]}, headers=header
    )
    assert await ok(by_header, 200) == again
    await problem(
        await client.post("/api/holds", json={"legs": pair}, headers=header), 409, "DX011"
    )
    captured = await capture(client, made["hold_id"], "r-cap", amounts=["4.00", "4.00"])
    replay = await capture(client, made["hold_id"], "r-cap", status=200, amounts=["4.00", "4.00"])
    assert replay == captured | {"status": "duplicate"}
    other = await hold(client, "r-2", pair)
    voided = await void(client, other["hold_id"], "r-void")
    assert voided["status"] == "voided" and voided["journal_id"] is None
    assert await void(client, other["hold_id"], "r-void") == voided | {"status": "duplicate"}
    assert duplicates.delta() == {f'{HOLDS}{{status="duplicate"}}': 4}
    assert await position(client, "2001-CARDHOLDER") == ("96.00", "0.00", "0.00", "96.00")


async def test_another_tenants_hold_is_not_found(card: Client, admin_dsn: str) -> None:
    client = card
    made = await hold(client, "t-1", legs("2001-CARDHOLDER", "2900-SETTLEMENT", "10.00"))
    create_tenants(admin_dsn, "acme")
    theirs = bearer(create_key(admin_dsn, "acme")["token"])
    path = f"/api/holds/{made['hold_id']}"
    await problem(await client.get(path, headers=theirs), 404, "DX049")
    for action in ("capture", "void"):
        response = await client.post(
            f"{path}/{action}", json={"idempotency_key": "k"}, headers=theirs
        )
        await problem(response, 404, "DX049")
    assert (await ok(await client.get("/api/holds", headers=theirs)))["items"] == []
    assert (await ok(await client.get(path)))["status"] == "pending"
    assert await position(client, "2001-CARDHOLDER") == ("100.00", "10.00", "0.00", "90.00")


async def test_holds_page_by_cursor_and_filter(card: Client) -> None:
    client = card
    made = [
        (await hold(client, f"p-{n}", legs("2001-CARDHOLDER", "2900-SETTLEMENT", "1.00")))[
            "hold_id"
        ]
        for n in range(5)
    ]
    await void(client, made[1], "p-void")
    seen, cursor = [], ""
    while True:
        page = await ok(await client.get(f"/api/holds?limit=2{cursor}"))
        seen += [item["hold_id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert seen == made
    pending = await ok(await client.get("/api/holds?status=pending&account=2900-SETTLEMENT"))
    assert [item["hold_id"] for item in pending["items"]] == [made[0], *made[2:]]
    voided = await ok(await client.get("/api/holds?status=voided"))
    assert [item["hold_id"] for item in voided["items"]] == [made[1]]


async def test_capture_and_void_racing_on_one_hold_one_wins(card: Client) -> None:
    client = card
    rounds = 12
    made = [
        (await hold(client, f"race-{n}", legs("2001-CARDHOLDER", "2900-SETTLEMENT", "5.00")))[
            "hold_id"
        ]
        for n in range(rounds)
    ]

    async def act(hold_id: str, action: str) -> tuple[str, int, Any]:
        response = await client.post(
            f"/api/holds/{hold_id}/{action}", json={"idempotency_key": f"{action}-{hold_id}"}
        )
        return action, response.status, await response.json(content_type=None)

    outcomes = await asyncio.gather(
        *(act(hold_id, action) for hold_id in made for action in ("capture", "void"))
    )
    captures = 0
    for n, hold_id in enumerate(made):
        (_, capture_status, capture_body), (_, void_status, void_body) = outcomes[2 * n : 2 * n + 2]
        winners = [s for s in (capture_status, void_status) if s < 300]
        assert len(winners) == 1, (capture_body, void_body)
        loser = void_body if capture_status < 300 else capture_body
        assert (loser["status"], loser["code"]) in ((409, "DX050"), (409, "DX051")), loser
        captures += capture_status == 201
        shown = await ok(await client.get(f"/api/holds/{hold_id}"))
        assert shown["status"] == ("captured" if capture_status == 201 else "voided")
    posted = f"{100 - 5 * captures:.2f}"
    assert await position(client, "2001-CARDHOLDER") == (posted, "0.00", "0.00", posted)


def get_json(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers=bearer(token))
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_the_served_service_sweeps_expired_holds_of_every_tenant(
    service_dsn: str, admin_dsn: str, app_dsn: str, tmp_path: Path
) -> None:
    """`doublex serve` with DOUBLEX_HOLD_SWEEP_SECONDS marks the expired holds of every tenant
    (not only DOUBLEX_TENANTS), as its own login, and counts them."""
    create_tenants(admin_dsn, "acme")
    tokens = {tenant: create_key(admin_dsn, tenant)["token"] for tenant in ("default", "acme")}
    with doublex_serve(
        service_dsn,
        tmp_path / "serve.log",
        DOUBLEX_HOLD_SWEEP_SECONDS="0.3",
        DOUBLEX_TENANTS="default",
        LOG_LEVEL="INFO",
    ) as base:

        async def seed() -> dict[str, str]:
            made = {}
            async with aiohttp.ClientSession(base) as session:
                for tenant, token in tokens.items():
                    for code, kind in (("1001-CASH", "asset"), ("4001-SALES", "income")):
                        body = {"code": code, "name": code, "ccy": "EUR", "type": kind}
                        async with session.post(
                            "/api/accounts", json=body, headers=bearer(token)
                        ) as r:
                            assert r.status == 201, await r.text()
                    body = {
                        "idempotency_key": "h",
                        "legs": legs("1001-CASH", "4001-SALES", "1.00"),
                        "expires_at": soon(1.5),
                    }
                    async with session.post("/api/holds", json=body, headers=bearer(token)) as r:
                        assert r.status == 201, await r.text()
                        made[tenant] = (await r.json())["hold_id"]
            return made

        made = asyncio.run(seed())
        deadline = time.monotonic() + 30
        while True:
            shown = {t: get_json(f"{base}/api/holds/{h}", tokens[t]) for t, h in made.items()}
            if all(hold["resolved_by"] for hold in shown.values()) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert {t: (h["status"], h["resolved_by"]) for t, h in shown.items()} == {
            "default": ("expired", "service"),
            "acme": ("expired", "service"),
        }
        with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
            exposition = response.read().decode()
        assert f'{HOLDS}{{status="expired"}} 2.0' in exposition
        assert f'{HOLDS}{{status="created"}} 2.0' in exposition
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
