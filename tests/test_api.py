"""The REST service: every route and every error status, through a real aiohttp server on a
real (fresh, migrated) database. Observability is in test_api_observability.py, the
Schemathesis run in test_api_schemathesis.py."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
import pytest

from doublex import config, jsonio, localdb, migrate
from doublex.api import create_app
from doublex.api.app import ROUTES
from doublex.db import Ledger, RetryPolicy
from doublex.serve import build_app
from support.dates import iso, shifted
from support.http import (
    UNKNOWN_KEY,
    Client,
    api,
    balance,
    hold_key,
    legs,
    ok,
    open_account,
    problem,
    serving,
    transfer,
    wait_for_lock_waiter,
)
from support.invariants import assert_ledger_invariants


@pytest.fixture
async def client(ledger: Ledger) -> AsyncIterator[Client]:
    async with api(ledger) as opened:
        yield opened


@pytest.fixture
async def books(client: Client) -> Client:
    """CASH (asset), SALES (income), LOAN (liability) in EUR; YEN (asset) in JPY."""
    await open_account(client, "1001-CASH")
    await open_account(client, "4001-SALES", type="income")
    await open_account(client, "2001-LOAN", type="liability")
    await open_account(client, "1002-YEN", ccy="JPY")
    return client


# -- health ----------------------------------------------------------------------------------


async def test_health_reports_database_and_migrations(client: Client) -> None:
    for path in ("/api/health", "/api/health/"):
        body = await ok(await client.get(path))
        assert body["status"] == "ok"
        assert body["database"] == "ok"
        assert body["migrations"]["pending"] == []
        assert body["migrations"]["applied"] == len(migrate.known())
        assert body["migrations"]["latest"] == migrate.known()[-1]


async def test_health_is_degraded_when_a_migration_is_pending(ledger: Ledger) -> None:
    app = create_app(ledger, migrations=[*migrate.known(), "9999_from_the_future"])
    async with serving(app) as client:
        body = await ok(await client.get("/api/health"))
    assert body["status"] == "degraded"
    assert body["migrations"]["pending"] == ["9999_from_the_future"]


async def test_database_unreachable_is_503_with_retry_after() -> None:
    # The service built as `doublex serve` builds it, on a port where nothing listens.
    closed = f"host=127.0.0.1 port={localdb.free_port()} user=doublex_app dbname=nowhere"
    settings = dataclasses.replace(
        config.load(), pool_min=1, pool_max=2, pool_timeout=0.3, roll_up_seconds=60
    )
    async with serving(build_app(settings, closed), UNKNOWN_KEY) as client:
        response = await client.get("/api/health")
        assert response.status == 503
        assert response.headers["Retry-After"].isdigit()
        body = await response.json()
        assert body["status"] == "unavailable"
        assert body["database"] == "unreachable"

        response = await client.post(
            "/api/transfers", json={"idempotency_key": "k", "legs": legs("A", "B", "1.00")}
        )
        await problem(response, 503, "database_unavailable")
        assert int(response.headers["Retry-After"]) >= 1

        response = await client.get("/api/accounts/1001-CASH/balance")
        await problem(response, 503, "database_unavailable")


# -- accounts --------------------------------------------------------------------------------


async def test_accounts_create_get_and_list_by_pages(client: Client) -> None:
    codes = ["1001-CASH", "1002-BANK", "2001-LOAN", "3001-EQUITY", "4001-SALES"]
    for code in reversed(codes):
        created = await open_account(client, code, allow_negative=False, metadata={"k": code})
        assert created["code"] == code
        assert created["allow_negative"] is False
        assert created["metadata"] == {"k": code}
    trailing = await client.post(
        "/api/accounts/",
        json={"code": "5001-FEES", "name": "Fees", "ccy": "EUR", "type": "expense"},
    )
    assert (await ok(trailing, 201))["normal_side"] == "debit"
    codes.append("5001-FEES")

    got = await ok(await client.get("/api/accounts/4001-SALES"))
    assert (got["code"], got["ccy"], got["type"], got["status"]) == (
        "4001-SALES",
        "EUR",
        "asset",
        "active",
    )
    assert (await ok(await client.get("/api/accounts/4001-SALES/")))["id"] == got["id"]

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = await ok(await client.get(f"/api/accounts{query}"))
        pages += 1
        seen += [item["code"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert cursor == page["items"][-1]["code"]
    assert seen == sorted(codes)
    assert pages == 4  # 2 + 2 + 2, then an empty last page: keyset pages cannot know the end

    everything = await ok(await client.get("/api/accounts/"))
    assert [item["code"] for item in everything["items"]] == sorted(codes)
    assert everything["next_cursor"] is None


async def test_account_errors(client: Client) -> None:
    await open_account(client, "1001-CASH")
    again = {"code": "1001-CASH", "name": "again", "ccy": "EUR"}
    document = await problem(await client.post("/api/accounts", json=again), 409, "DX015")
    assert document["errors"][0]["field"] == "code"
    bad_code = {"code": "no spaces", "name": "x", "ccy": "EUR"}
    await problem(await client.post("/api/accounts", json=bad_code), 422, "DX018")
    unknown_ccy = {"code": "X1", "name": "x", "ccy": "XYZ"}
    await problem(await client.post("/api/accounts", json=unknown_ccy), 422, "DX005")
    bad_type = {"code": "X1", "name": "x", "ccy": "EUR", "type": ""}
    await problem(await client.post("/api/accounts", json=bad_type), 422, "DX018")
    wrong_json_type = {"code": "X1", "name": 7, "ccy": "EUR"}
    document = await problem(
        await client.post("/api/accounts", json=wrong_json_type), 422, "invalid_request"
    )
    assert document["errors"] == [{"field": "name", "message": "name: must be a string"}]
    missing = await client.post("/api/accounts", json={"name": "x", "ccy": "EUR"})
    assert (await problem(missing, 422, "invalid_request"))["errors"][0]["field"] == "code"
    await problem(await client.get("/api/accounts/NOPE"), 404, "DX020")
    await problem(await client.get("/api/accounts/NOPE/balance"), 404, "DX020")
    # Not a whole number: the shell refuses the type. Out of 1 to 1000: the ledger's DX019.
    for limit in ("abc", "5_0", " 5", "", "1.5", "99999999999"):
        await problem(await client.get(f"/api/accounts?limit={limit}"), 422, "invalid_request")
    # Thousands of digits: refused by length, in the shell's words (not Python's int() limit).
    huge = await problem(
        await client.get(f"/api/accounts?limit={'9' * 5000}"), 422, "invalid_request"
    )
    assert (
        "whole number (32-bit)" in huge["detail"] and "set_int_max_str_digits" not in huge["detail"]
    )
    for limit in ("0", "1001", "-1"):
        document = await problem(await client.get(f"/api/accounts?limit={limit}"), 422, "DX019")
        assert document["errors"][0]["field"] == "page_size"


async def test_balance_as_of_a_date(books: Client) -> None:
    await transfer(
        books,
        "early",
        {"legs": legs("1001-CASH", "4001-SALES", "10.00"), "effective_date": iso("2026-01-10")},
    )
    await transfer(
        books,
        "later",
        {"legs": legs("1001-CASH", "4001-SALES", "2.50"), "effective_date": iso("2026-01-20")},
    )
    assert await balance(books, "1001-CASH") == "12.50"
    assert await balance(books, "4001-SALES") == "12.50"  # income: credit-normal
    assert await balance(books, "1001-CASH", iso("2026-01-09")) == "0.00"
    assert await balance(books, "1001-CASH", iso("2026-01-15")) == "10.00"
    body = await ok(await books.get(shifted("/api/accounts/1001-CASH/balance/?as_of=2026-01-20")))
    assert body == {
        "account": "1001-CASH",
        "ccy": "EUR",
        "balance": "12.50",
        "debits": "12.50",
        "credits": "0.00",
        "as_of": iso("2026-01-20"),
        "snapshot_source": "live",
        # Holds have no effective date: the pending side and the limits are the balance now's.
        "posted": "12.50",
        "pending_debits": None,
        "pending_credits": None,
        "available": None,
        "min_balance": None,
        "max_balance": None,
    }
    for as_of in ("2026-02-30", "20260101", "yesterday", ""):
        response = await books.get(f"/api/accounts/1001-CASH/balance?as_of={as_of}")
        document = await problem(response, 422, "invalid_request")
        assert document["errors"][0]["field"] == "as_of"


# -- transfers -------------------------------------------------------------------------------


async def test_transfer_posted_then_duplicate_then_conflict(books: Client) -> None:
    request = {
        "legs": legs("1001-CASH", "4001-SALES", "45.00"),
        "memo": "invoice 17",
        "ref": "BANK-REF-1",
        "metadata": {"order": 17, "rate": 1.25},
        "effective_date": iso("2026-03-01"),
    }
    posted = await transfer(books, "tx-1", request, 201)
    assert posted["status"] == "posted"
    assert posted["effective_date"] == iso("2026-03-01")

    replay = await books.post("/api/transfers/", json={"idempotency_key": "tx-1"} | request)
    duplicate = await ok(replay, 200)
    assert duplicate == posted | {"status": "duplicate"}
    assert await balance(books, "1001-CASH") == "45.00"  # counted once

    journal = await ok(await books.get(f"/api/journals/{posted['journal_id']}"))
    assert journal["metadata"] == {"order": 17, "rate": 1.25}  # exact, not a float string
    assert (journal["memo"], journal["ref"]) == ("invoice 17", "BANK-REF-1")

    changed = request | {"memo": "another invoice"}
    response = await books.post("/api/transfers", json={"idempotency_key": "tx-1"} | changed)
    document = await problem(response, 409, "DX011")
    assert document["errors"][0]["field"] == "idempotency_key"
    assert await balance(books, "1001-CASH") == "45.00"


async def test_idempotency_key_header(books: Client) -> None:
    request = {"legs": legs("1001-CASH", "4001-SALES", "5.00")}
    first = await books.post("/api/transfers", json=request, headers={"Idempotency-Key": "h-1"})
    posted = await ok(first, 201)
    again = await books.post("/api/transfers", json=request, headers={"Idempotency-Key": "h-1"})
    assert (await ok(again, 200))["journal_id"] == posted["journal_id"]
    in_body = await transfer(books, "h-1", request, 200)  # the same key, from the body
    assert in_body["journal_id"] == posted["journal_id"]
    both = await books.post(
        "/api/transfers",
        json={"idempotency_key": "h-1"} | request,
        headers={"Idempotency-Key": "h-1"},
    )
    assert (await ok(both, 200))["status"] == "duplicate"

    disagree = await books.post(
        "/api/transfers",
        json={"idempotency_key": "h-2"} | request,
        headers={"Idempotency-Key": "h-3"},
    )
    await problem(disagree, 422, "invalid_request")
    missing = await books.post("/api/transfers", json=request)
    document = await problem(missing, 422, "invalid_request")
    assert document["errors"][0]["field"] == "idempotency_key"
    empty = await books.post("/api/transfers", json=request, headers={"Idempotency-Key": ""})
    await problem(empty, 422, "DX012")
    assert await balance(books, "1001-CASH") == "5.00"


async def test_earlier_api_payload(books: Client) -> None:
    earlier = {
        "client_id": "pos-17",
        "idempotency_key": "sale-1",
        "value_date": iso("2026-04-02"),
        "memo": "till",
        "entries": [
            {"account_code": "1001-CASH", "amount": "30.00", "ccy": "EUR"},
            {"account_code": "4001-SALES", "amount": "-12.50", "ccy": "EUR"},
            {"account_code": "2001-LOAN", "amount": -17.5, "ccy": "EUR"},  # a JSON number
        ],
    }
    posted = await ok(await books.post("/api/transfers", json=earlier), 201)
    assert posted["effective_date"] == iso("2026-04-02")
    journal = await ok(await books.get(f"/api/journals/{posted['journal_id']}"))
    assert journal["idempotency_key"] == "pos-17:sale-1"
    assert journal["metadata"] == {"client_id": "pos-17"}
    assert [(leg["account"], leg["side"], leg["amount"]) for leg in journal["legs"]] == [
        ("1001-CASH", "debit", "30.00"),
        ("4001-SALES", "credit", "12.50"),
        ("2001-LOAN", "credit", "17.50"),
    ]
    assert await balance(books, "2001-LOAN") == "17.50"

    replay = await ok(await books.post("/api/transfers", json=earlier), 200)
    assert replay["journal_id"] == posted["journal_id"]
    # The key scoped per client: another client may use the same key.
    other_client = earlier | {"client_id": "pos-18"}
    assert (await ok(await books.post("/api/transfers", json=other_client), 201))["journal_id"]

    header = {k: v for k, v in earlier.items() if k != "idempotency_key"}
    by_header = await books.post(
        "/api/transfers", json=header, headers={"Idempotency-Key": "sale-1"}
    )
    assert (await ok(by_header, 200))["journal_id"] == posted["journal_id"]

    # The client id and the key's length are the ledger's rules (client_idempotency_key);
    # a field of the wrong JSON type is the shell's.
    for field, value, code in (
        ("client_id", "a:b", "DX019"),
        ("client_id", "", "DX019"),
        ("client_id", "c" * 65, "DX019"),
        ("client_id", "pos\n17", "DX019"),
        ("idempotency_key", "k" * 191, "DX012"),
        ("entries", "x", "invalid_request"),
    ):
        response = await books.post("/api/transfers", json=earlier | {field: value})
        document = await problem(response, 422, code)
        assert document["errors"][0]["field"] == field
    at_the_limit = earlier | {"client_id": "c" * 64, "idempotency_key": "k" * 190}
    assert (await ok(await books.post("/api/transfers", json=at_the_limit), 201))["journal_id"]
    unbalanced = earlier | {"idempotency_key": "sale-2", "entries": earlier["entries"][:2]}
    await problem(await books.post("/api/transfers", json=unbalanced), 422, "DX009")


async def test_business_rule_rejections_are_422(books: Client) -> None:
    await open_account(books, "1003-SAFE", allow_negative=False)
    cases = [
        (legs("1001-CASH", "4001-SALES", "1.00")[:1], "DX002"),
        (legs("1001-CASH", "4001-SALES", "-1.00"), "DX003"),
        (legs("1001-CASH", "4001-SALES", "1.001"), "DX004"),
        (legs("1001-CASH", "4001-SALES", "1.00", ccy="EUX"), "DX005"),
        (legs("1001-CASH", "9999-NOPE", "1.00"), "DX006"),
        (legs("1001-CASH", "1002-YEN", "1"), "DX008"),
        (
            legs("1001-CASH", "4001-SALES", "1.00")[:1] + legs("x", "4001-SALES", "2.00")[1:],
            "DX009",
        ),
        (legs("1001-CASH", "1003-SAFE", "1.00"), "DX010"),
        ([{"account": "1001-CASH", "side": "up", "amount": "1", "ccy": "EUR"}] * 2, "DX001"),
    ]
    for index, (request_legs, code) in enumerate(cases):
        response = await books.post(
            "/api/transfers", json={"idempotency_key": f"bad-{index}", "legs": request_legs}
        )
        await problem(response, 422, code)
    await problem(await books.post("/api/transfers", json={"idempotency_key": "k"}), 422, "DX001")
    too_long = {
        "idempotency_key": "k",
        "legs": legs("1001-CASH", "4001-SALES", "1"),
        "memo": "m" * 1001,
    }
    await problem(await books.post("/api/transfers", json=too_long), 422, "DX019")
    wrong_types = [
        ("memo", 5),
        ("metadata", []),
        ("effective_date", "2026-13-01"),
        ("idempotency_key", 12),
    ]
    for field, value in wrong_types:
        response = await books.post(
            "/api/transfers",
            json={
                "idempotency_key": "k",
                "legs": legs("1001-CASH", "4001-SALES", "1.00"),
                field: value,
            },
        )
        assert (await problem(response, 422, "invalid_request"))["errors"][0]["field"] == field
    page = await ok(await books.get("/api/journals"))
    assert page["items"] == []  # nothing was posted


async def test_transfer_batch(books: Client) -> None:
    requests = [
        {"idempotency_key": "b-1", "legs": legs("1001-CASH", "4001-SALES", "1.00")},
        {"idempotency_key": "b-2", "legs": legs("1001-CASH", "9999-NOPE", "1.00")},
        {"idempotency_key": "b-1", "legs": legs("1001-CASH", "4001-SALES", "1.00")},
        "not an object",
    ]
    body = await ok(await books.post("/api/transfers/batch", json={"requests": requests}))
    results = body["results"]
    assert [r["position"] for r in results] == [0, 1, 2, 3]
    assert [r["status"] for r in results] == ["posted", "rejected", "duplicate", "rejected"]
    assert [r["error_code"] for r in results] == [None, "DX006", None, "DX024"]
    assert results[0]["journal_id"] == results[2]["journal_id"]
    assert await balance(books, "1001-CASH") == "1.00"

    trailing = await books.post("/api/transfers/batch/", json={"requests": requests[:1]})
    assert (await ok(trailing))["results"][0]["status"] == "duplicate"
    empty = await ok(await books.post("/api/transfers/batch", json={"requests": []}))
    assert empty == {"results": []}
    for wrong in ({}, {"requests": "x"}, {"requests": [{}] * 1001}):
        await problem(await books.post("/api/transfers/batch", json=wrong), 422, "DX024")


# -- journals --------------------------------------------------------------------------------


async def test_journals_list_with_filters_and_keyset_pages(books: Client) -> None:
    posted: dict[str, list[str]] = {
        iso("2026-05-01"): [],
        iso("2026-05-02"): [],
        iso("2026-05-03"): [],
    }
    for number in range(9):
        day = list(posted)[number % 3]
        pair = ("1001-CASH", "4001-SALES") if number % 2 == 0 else ("2001-LOAN", "1001-CASH")
        result = await transfer(
            books, f"j-{number}", {"legs": legs(*pair, f"{number + 1}.00"), "effective_date": day}
        )
        posted[day].append(result["journal_id"])

    async def walk(query: str, limit: int) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        for _ in range(20):
            suffix = f"&cursor={cursor}" if cursor else ""
            page = await ok(await books.get(f"/api/journals?limit={limit}{query}{suffix}"))
            assert len(page["items"]) <= limit
            items += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return items
            assert cursor == page["items"][-1]["cursor"]
        raise AssertionError("pagination does not end")

    everything = await walk("", 2)
    assert len(everything) == 9
    assert len({item["journal_id"] for item in everything}) == 9
    assert [item["effective_date"] for item in everything] == sorted(
        item["effective_date"] for item in everything
    )
    middle = await walk(shifted("&from=2026-05-02&to=2026-05-02"), 2)
    assert sorted(item["journal_id"] for item in middle) == sorted(posted[iso("2026-05-02")])
    from_second = await walk(shifted("&from=2026-05-02"), 4)
    assert len(from_second) == 6
    loan = await walk("&account=2001-LOAN", 3)
    assert len(loan) == 4  # numbers 1, 3, 5, 7
    assert all(any(leg["account"] == "2001-LOAN" for leg in item["legs"]) for item in loan)
    assert await walk(shifted("&to=2026-04-30"), 5) == []

    await problem(await books.get("/api/journals?cursor=garbage"), 422, "DX019")
    await problem(await books.get("/api/journals?account=9999-NOPE"), 404, "DX020")
    await problem(await books.get("/api/journals?account="), 404, "DX020")
    await problem(await books.get("/api/journals?from=05/01/2026"), 422, "invalid_request")
    await problem(await books.get("/api/journals?limit=5000"), 422, "DX019")  # the ledger's range
    trailing = await ok(await books.get("/api/journals/?limit=1"))
    assert trailing["items"][0]["journal_id"] == everything[0]["journal_id"]


async def test_get_journal(books: Client) -> None:
    posted = await transfer(
        books, "g-1", {"legs": legs("1001-CASH", "4001-SALES", "7.00"), "memo": "m"}
    )
    journal = await ok(await books.get(f"/api/journals/{posted['journal_id']}/"))
    assert journal["journal_id"] == posted["journal_id"]
    assert journal["kind"] == "transfer"
    assert journal["idempotency_key"] == "g-1"
    assert journal["reversed_by"] is None
    assert [(leg["leg_no"], leg["side"], leg["amount"]) for leg in journal["legs"]] == [
        (1, "debit", "7.00"),
        (2, "credit", "7.00"),
    ]
    await problem(
        await books.get("/api/journals/00000000-0000-7000-8000-000000000000"), 404, "DX013"
    )
    await problem(await books.get("/api/journals/not-a-uuid"), 404, "not_found")


async def test_reverse_journal_is_idempotent(books: Client) -> None:
    original = await transfer(books, "r-1", {"legs": legs("1001-CASH", "4001-SALES", "9.00")})
    path = f"/api/journals/{original['journal_id']}/reverse"
    reversal = await ok(
        await books.post(path, json={"idempotency_key": "undo-1", "memo": "typo"}), 201
    )
    assert reversal["status"] == "posted"
    assert await balance(books, "1001-CASH") == "0.00"
    replay = await ok(
        await books.post(path + "/", json={"idempotency_key": "undo-1", "memo": "typo"}), 200
    )
    assert replay == reversal | {"status": "duplicate"}
    by_header = await books.post(path, json={"memo": "typo"}, headers={"Idempotency-Key": "undo-1"})
    assert (await ok(by_header, 200))["journal_id"] == reversal["journal_id"]

    await problem(await books.post(path, json={"idempotency_key": "undo-2"}), 409, "DX014")
    mirror = await ok(await books.get(f"/api/journals/{reversal['journal_id']}"))
    assert mirror["kind"] == "reversal"
    assert mirror["reverses"] == original["journal_id"]
    assert [(leg["account"], leg["side"]) for leg in mirror["legs"]] == [
        ("1001-CASH", "credit"),
        ("4001-SALES", "debit"),
    ]
    again = await ok(await books.get(f"/api/journals/{original['journal_id']}"))
    assert again["reversed_by"] == reversal["journal_id"]
    reverse_mirror = f"/api/journals/{reversal['journal_id']}/reverse"
    await problem(
        await books.post(reverse_mirror, json={"idempotency_key": "undo-3"}), 422, "DX022"
    )
    unknown = "/api/journals/00000000-0000-7000-8000-000000000000/reverse"
    await problem(await books.post(unknown, json={"idempotency_key": "undo-4"}), 404, "DX013")
    await problem(await books.post(path, json={}), 422, "invalid_request")
    assert await balance(books, "1001-CASH") == "0.00"


# -- protocol errors -------------------------------------------------------------------------


async def test_protocol_errors_are_problem_documents(books: Client) -> None:
    json_type = {"Content-Type": "application/json"}
    response = await books.post("/api/transfers", data=b'{"legs": [', headers=json_type)
    await problem(response, 400, "malformed_json")
    response = await books.post("/api/transfers", data=b"[1, 2]", headers=json_type)
    await problem(response, 400, "malformed_json")
    response = await books.post("/api/transfers", data=b"", headers=json_type)
    await problem(response, 400, "malformed_json")

    response = await books.post(
        "/api/transfers", data=b"{}", headers={"Content-Type": "text/plain"}
    )
    await problem(response, 415, "unsupported_media_type")
    response = await books.post("/api/accounts", data={"code": "form"})  # a form post
    await problem(response, 415, "unsupported_media_type")

    huge = b'{"memo": "' + b"x" * (1 << 20) + b'"}'
    response = await books.post("/api/transfers", data=huge, headers=json_type)
    await problem(response, 413, "payload_too_large")
    just_fits = b'{"memo": "' + b"x" * ((1 << 20) - 100) + b'"}'
    response = await books.post("/api/transfers", data=just_fits, headers=json_type)
    await problem(response, 422, "invalid_request")  # read in full; no key

    await problem(await books.get("/api/nowhere"), 404, "not_found")
    await problem(await books.get("/api"), 404, "not_found")
    await problem(await books.get("/api/accounts/1001-CASH/balance/extra"), 404, "not_found")

    response = await books.delete("/api/transfers")
    await problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "POST"
    response = await books.put("/api/accounts/1001-CASH/", json={})
    await problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET"
    response = await books.get("/api/transfers")
    await problem(response, 405, "method_not_allowed")


async def test_unexpected_errors_are_500_problems_without_internals(
    ledger: Ledger, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(Ledger):
        async def get_account(self, code: str, tenant: str | None = None) -> dict[str, Any]:
            raise RuntimeError("secret internals: password=hunter2")

        async def key_rate(self) -> dict[str, Any]:  # the key's bucket, so the call is reached
            return {"key_id": UNKNOWN_KEY.partition(".")[0], "requests_per_second": 1, "burst": 1}

    broken = Broken("host=127.0.0.1 port=1 dbname=unused")  # never opened: no query runs
    async with serving(create_app(broken), UNKNOWN_KEY) as client:
        response = await client.get("/api/accounts/1001-CASH", headers={"X-Request-ID": "r-500"})
        document = await problem(response, 500, "internal_error")
    assert "hunter2" not in await response.text()
    assert "r-500" in document["detail"]
    assert response.headers["X-Request-ID"] == "r-500"
    logged = [r for r in caplog.records if r.name == "doublex.errors"]
    assert logged and logged[0].exc_info is not None
    assert getattr(logged[0], "request_id", None) == "r-500"


async def test_every_route_answers_with_and_without_trailing_slash(books: Client) -> None:
    posted = await transfer(books, "s-1", {"legs": legs("1001-CASH", "4001-SALES", "1.00")})
    spare = await ok(
        await books.post("/api/keys", json={"name": "s", "capabilities": ["read"]}), 201
    )
    held = {"idempotency_key": "s-hold", "legs": legs("1001-CASH", "4001-SALES", "1.00")}
    made = await ok(await books.post("/api/holds", json=held), 201)
    hook = await ok(
        await books.post("/api/webhooks", json={"url": "https://hooks.example.com/s"}), 201
    )
    watch = {"account": "1001-CASH", "field": "posted", "condition": "<", "threshold": "0"}
    monitor = await ok(await books.post("/api/monitors", json=watch), 201)
    values = {
        "{hold_id}": made["hold_id"],
        "{webhook_id}": hook["webhook_id"],
        "{key_id}": spare["key_id"],
        "{monitor_id}": monitor["monitor_id"],
        "{code}": "1001-CASH",
        "{journal_id}": posted["journal_id"],
        "{base}": "EUR",
        "{quote}": "JPY",
    }
    first, last = iso("2026-12-01"), iso("2026-12-04")
    queries = {
        "/api/fx/rates": "?base=EUR&quote=JPY",
        "/api/accounts/{code}/statement": f"?from={first}&to={last}",
        "/api/webhooks/{webhook_id}/replay": "?from=1",
    }
    bodies: dict[str, Any] = {
        "/api/accounts": {"code": "X", "name": "x", "ccy": "EUR"},
        "/api/transfers": {
            "idempotency_key": "s-1",
            "legs": legs("1001-CASH", "4001-SALES", "1.00"),
        },
        "/api/transfers/batch": {"requests": []},
        "/api/journals/{journal_id}/reverse": {"idempotency_key": "s-undo"},
        "/api/fx/rates/{base}/{quote}": {"rate": "160", "valid_on": "2020-01-01"},
        "/api/fx/transfers": {
            "idempotency_key": "s-fx",
            "from_account": "1001-CASH",
            "to_account": "1002-YEN",
            "amount": "1.00",
        },
        "/api/keys": {"name": "s", "capabilities": ["read"]},
        "/api/keys/{key_id}": {"requests_per_second": 50},  # PATCH (DELETE ignores it)
        "/api/accounts/{code}/limits": {"min_balance": None, "max_balance": None},
        "/api/holds": held,
        "/api/holds/{hold_id}/capture": {"idempotency_key": "s-capture"},
        "/api/holds/{hold_id}/void": {"idempotency_key": "s-void"},
        "/api/webhooks": {"url": "https://hooks.example.com/s"},
        "/api/monitors": watch,
    }
    expected = {
        ("POST", "/api/keys"): 201,
        ("POST", "/api/webhooks"): 201,
        ("POST", "/api/monitors"): 201,
        ("POST", "/api/accounts"): 201,
        ("POST", "/api/transfers"): 200,
        ("POST", "/api/journals/{journal_id}/reverse"): 201,
        ("POST", "/api/fx/transfers"): 201,
        ("GET", "/api/reports/recon"): 422,  # no ?date=
        ("GET", "/api/reports/recon.html"): 422,
        ("POST", "/api/holds"): 200,  # made above: duplicate
        ("POST", "/api/holds/{hold_id}/capture"): 201,
        ("POST", "/api/holds/{hold_id}/void"): 409,  # captured just before (DX050)
    }
    for method, template, _, _ in ROUTES:
        path = template
        for name, value in values.items():
            path = path.replace(name, value)
        statuses = []
        query = queries.get(template, "")
        for variant in (path + query, path + "/" + query):
            response = await books.request(
                method, variant, json=bodies.get(template), allow_redirects=False
            )
            statuses.append(response.status)
        want = expected.get((method, template), 200)
        # A replayed POST answers 200 (duplicate) or 409 (account exists) the second time;
        # a second POST /api/keys (/api/webhooks, /api/monitors) makes another key (endpoint,
        # monitor); a deleted monitor is not found the second time.
        new_key = (method, template) in {
            ("POST", "/api/keys"),
            ("POST", "/api/webhooks"),
            ("POST", "/api/monitors"),
        }
        second = {201} if new_key else {201: {200, 409}}.get(want, {want})
        if (method, template) == ("DELETE", "/api/monitors/{monitor_id}"):
            second = {404}
        assert statuses[0] == want and statuses[1] in second, (method, template, statuses)


# -- the documents ---------------------------------------------------------------------------


async def test_openapi_document_covers_every_route(client: Client) -> None:
    response = await client.get("/api/openapi.json")
    document = await ok(response)
    assert document["openapi"] == "3.1.0"
    for method, template, _, _ in ROUTES:
        operation = document["paths"][template][method.lower()]
        assert operation["operationId"] and operation["responses"]
    operations = [op for methods in document["paths"].values() for op in methods.values()]
    assert len(operations) == len(ROUTES)
    problem_schema = document["components"]["schemas"]["Problem"]
    assert set(problem_schema["required"]) == {
        "type",
        "title",
        "status",
        "code",
        "detail",
        "errors",
    }
    assert (await ok(await client.get("/api/openapi.json/"))) == document


async def test_docs_page_is_self_contained(client: Client) -> None:
    response = await client.get("/api/docs")
    assert response.status == 200
    assert response.content_type == "text/html"
    page = await response.text()
    assert page.startswith("<!doctype html>")
    for _, template, _, _ in ROUTES:
        assert f"<code>{template}</code>" in page
    assert "Needs: a key with <code>post</code>" in page and "Needs: no key" in page
    # Nothing is fetched from anywhere: no scripts, no external stylesheets, images or fonts.
    assert "<script" not in page
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", page)
    assert "@import" not in page and "url(" not in page
    assert (await client.get("/api/docs/")).status == 200


# -- concurrency and retries -----------------------------------------------------------------


async def test_64_concurrent_posts_with_one_key_make_one_journal(
    books: Client, admin_dsn: str
) -> None:
    request = {"idempotency_key": "same-key", "legs": legs("1001-CASH", "4001-SALES", "3.00")}

    async def post() -> tuple[int, str]:
        response = await books.post("/api/transfers", json=request)
        body = await response.json()
        return response.status, body.get("journal_id", body)

    answers = await asyncio.gather(*(post() for _ in range(64)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 63 + [201]
    assert len({journal_id for _, journal_id in answers}) == 1
    with psycopg.connect(admin_dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM ledger_private.journal WHERE idempotency_key = 'same-key'"
        ).fetchone()
    assert row == (1,)
    assert await balance(books, "1001-CASH") == "3.00"
    assert_ledger_invariants(admin_dsn)


async def test_retries_exhausted_is_503_with_retry_after(app_dsn: str, admin_dsn: str) -> None:
    """A request that queued behind the same key's writer gets 40001 when that writer commits
    (its snapshot predates the commit); with no retry left it answers 503, nothing posted."""
    strict = Ledger(app_dsn, retry=RetryPolicy(max_attempts=1))
    async with strict, api(strict) as client:
        await open_account(client, "1001-CASH")
        await open_account(client, "4001-SALES", type="income")
        request_legs = legs("1001-CASH", "4001-SALES", "4.00")
        holder = await hold_key(app_dsn, "contended", request_legs)
        try:
            pending = asyncio.create_task(
                client.post(
                    "/api/transfers",
                    json={"idempotency_key": "contended", "legs": request_legs},
                )
            )
            await wait_for_lock_waiter(admin_dsn)
            await holder.commit()
            response = await pending
        finally:
            await holder.close()
        document = await problem(response, 503, "retries_exhausted")
        assert int(response.headers["Retry-After"]) >= 1
        assert "hint" in document
        assert await balance(client, "1001-CASH") == "4.00"  # the holder's journal only
    assert_ledger_invariants(admin_dsn)


# -- JSON numbers ----------------------------------------------------------------------------


async def test_json_numbers_in_metadata_stay_exact(client: Client) -> None:
    """Fractions and integers beyond 64 bits reach jsonb exactly and come back exactly."""
    body = (
        b'{"code": "1001-CASH", "name": "Cash", "ccy": "EUR", "metadata": '
        b'{"big": 123456789012345678901234567890, "tiny": 0.1000000000000000055511151231257827,'
        b' "rate": 1.25, "list": [1, 2.5, -18446744073709551617]}}'
    )
    response = await client.post(
        "/api/accounts", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 201, await response.text()
    raw = await response.read()
    assert b'"big":123456789012345678901234567890' in raw
    assert b'"list":[1,2.5,-18446744073709551617]' in raw
    created = json.loads(raw)
    assert created["metadata"]["rate"] == 1.25


def test_jsonio_encoders() -> None:
    assert jsonio.dumps({"amount": Decimal("1.50")}) == b'{"amount":"1.50"}'
    huge = {"n": 2**70, "day": date(2026, 1, 2), "id": UUID(int=1), "amount": Decimal("2.5")}
    assert json.loads(jsonio.dumps(huge)) == {
        "n": 2**70,
        "day": "2026-01-02",
        "id": str(UUID(int=1)),
        "amount": "2.5",
    }
    assert jsonio.dumps_for_postgres({"x": Decimal("0.10")}) == b'{"x":0.10}'
    assert json.loads(jsonio.dumps_for_postgres({"n": 2**70, "x": Decimal("2.50")})) == {
        "n": 2**70,
        "x": 2.5,
    }
    assert json.loads(jsonio.dumps_for_postgres({"n": 2**70, "x": Decimal("7")})) == {
        "n": 2**70,
        "x": 7,
    }
    with pytest.raises(TypeError):
        jsonio.dumps_for_postgres({"x": Decimal("NaN")})
    with pytest.raises(TypeError):
        jsonio.dumps({"x": object()})
    assert jsonio.loads(b'{"a": 0.1, "b": [18446744073709551616]}') == {
        "a": Decimal("0.1"),
        "b": [Decimal("18446744073709551616")],
    }
