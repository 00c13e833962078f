"""The FX routes end to end: a real aiohttp server on a real (fresh, migrated) database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg
import pytest

from doublex.api.app import OPENAPI_DOCUMENT as DOCUMENT
from doublex.db import Ledger
from support.dates import iso, shifted
from support.http import Client, api, balance, ok, open_account, problem
from support.invariants import assert_ledger_invariants


@pytest.fixture
async def client(ledger: Ledger) -> AsyncIterator[Client]:
    async with api(ledger) as opened:
        await open_account(opened, "EUR-CASH")
        await open_account(opened, "USD-CASH", ccy="USD")
        await open_account(opened, "JPY-CASH", ccy="JPY")
        await open_account(opened, "EUR-SAVE", allow_negative=False)
        yield opened


async def put_rate(client: Client, base: str, quote: str, body: dict[str, object]) -> object:
    return await client.put(f"/api/fx/rates/{base}/{quote}", json=body)


async def test_rates_put_and_get_direct_and_inverted(client: Client) -> None:
    stored = await ok(
        await put_rate(
            client, "EUR", "USD", {"rate": "1.0850", "valid_on": iso("2026-01-01"), "source": "ECB"}
        )
    )
    assert stored == {
        "base": "EUR",
        "quote": "USD",
        "rate": "1.0850",
        "valid_on": iso("2026-01-01"),
        "direction": "direct",
        "source": "ECB",
    }
    replaced = await ok(
        await put_rate(client, "EUR", "USD", {"rate": "1.25", "valid_on": iso("2026-01-01")})
    )
    assert (replaced["rate"], replaced["source"]) == ("1.25", None)

    direct = await ok(await client.get(shifted("/api/fx/rates?base=EUR&quote=USD&on=2026-02-01")))
    assert (direct["rate"], direct["direction"], direct["valid_on"]) == (
        "1.25",
        "direct",
        iso("2026-01-01"),
    )
    inverted = await ok(await client.get(shifted("/api/fx/rates?base=USD&quote=EUR&on=2026-02-01")))
    assert (inverted["rate"], inverted["direction"]) == ("0.800000000000", "inverted")
    today = await ok(await client.get("/api/fx/rates?base=EUR&quote=USD"))
    assert today["valid_on"] == iso("2026-01-01")


async def test_rate_errors_are_problem_documents(client: Client) -> None:
    response = await put_rate(client, "EUR", "USD", {"rate": "0", "valid_on": iso("2026-01-01")})
    await problem(response, 422, "DX030")
    response = await put_rate(
        client, "EUR", "USD", {"rate": "1.0000000000001", "valid_on": iso("2026-01-01")}
    )
    await problem(response, 422, "DX030")
    response = await put_rate(client, "EUR", "EUR", {"rate": "1", "valid_on": iso("2026-01-01")})
    await problem(response, 422, "DX031")
    response = await put_rate(client, "EUR", "ABC", {"rate": "1", "valid_on": iso("2026-01-01")})
    await problem(response, 422, "DX005")
    response = await put_rate(client, "EUR", "USD", {"rate": 1.1, "valid_on": iso("2026-01-01")})
    document = await problem(response, 422, "invalid_request")
    assert document["errors"][0]["field"] == "rate"
    response = await put_rate(client, "EUR", "USD", {"rate": "1.1"})
    await problem(response, 422, "invalid_request")
    response = await put_rate(client, "EUR", "USD", {"rate": "1.1", "valid_on": "20260101"})
    await problem(response, 422, "invalid_request")

    missing = await problem(
        await client.get(shifted("/api/fx/rates?base=EUR&quote=JPY&on=2026-01-01")), 404, "DX032"
    )
    assert "EUR/JPY" in missing["detail"] and iso("2026-01-01") in missing["detail"]
    await problem(await client.get("/api/fx/rates?base=EUR"), 422, "invalid_request")
    await problem(await client.get("/api/fx/rates?base=EUR&quote=USD&on=x"), 422, "invalid_request")


async def test_transfer_201_then_200_on_replay_then_409(client: Client, admin_dsn: str) -> None:
    await ok(
        await put_rate(client, "EUR", "USD", {"rate": "1.1000", "valid_on": iso("2026-01-01")})
    )
    body = {
        "idempotency_key": "fx-1",
        "from_account": "EUR-CASH",
        "to_account": "USD-CASH",
        "amount": "100.00",
        "effective_date": iso("2026-02-01"),
        "memo": "conversion",
    }
    first = await ok(await client.post("/api/fx/transfers", json=body), 201)
    assert first["status"] == "posted"
    assert (first["source_amount"], first["destination_amount"]) == ("100.00", "110.00")
    assert (first["rate"], first["rate_basis"], first["rate_valid_on"]) == (
        "1.1000",
        "direct",
        iso("2026-01-01"),
    )
    assert (first["residual"], first["residual_ccy"]) == ("0", "USD")

    again = await ok(await client.post("/api/fx/transfers", json=body), 200)
    assert again == first | {"status": "duplicate"}
    header = {k: v for k, v in body.items() if k != "idempotency_key"}
    by_header = await client.post(
        "/api/fx/transfers", json=header, headers={"Idempotency-Key": "fx-1"}
    )
    assert (await ok(by_header, 200))["settlement_id"] == first["settlement_id"]

    conflict = await client.post("/api/fx/transfers", json=body | {"amount": "100.01"})
    await problem(conflict, 409, "DX011")

    for journal_id in (first["source_journal_id"], first["destination_journal_id"]):
        journal = await ok(await client.get(f"/api/journals/{journal_id}"))
        assert journal["kind"] == "fx"
        assert journal["metadata"]["fx_settlement_id"] == first["settlement_id"]
    assert await balance(client, "EUR-CASH") == "-100.00"
    assert await balance(client, "USD-CASH") == "110.00"
    assert await balance(client, "FX-CLEARING-USD") == "110.00"
    assert_ledger_invariants(admin_dsn)


async def test_transfer_fixed_destination_with_an_explicit_rate(client: Client) -> None:
    body = {
        "idempotency_key": "fx-d",
        "from_account": "JPY-CASH",
        "to_account": "EUR-CASH",
        "amount": "1.00",
        "fixed_side": "destination",
        "rate": "0.006",
    }
    settled = await ok(await client.post("/api/fx/transfers", json=body), 201)
    assert (settled["source_amount"], settled["destination_amount"]) == ("167", "1.00")
    assert (settled["residual"], settled["residual_ccy"]) == ("-0.33333333333333333333", "JPY")
    assert (settled["rate_basis"], settled["rate_valid_on"]) == ("override", None)


async def test_transfer_rejections(client: Client) -> None:
    base = {"idempotency_key": "e", "from_account": "EUR-CASH", "to_account": "USD-CASH"}
    cases = [
        ({"amount": "1.00"}, 404, "DX032"),
        ({"amount": "1.00", "to_account": "EUR-SAVE", "rate": "1"}, 422, "DX031"),
        ({"amount": "1.00", "rate": "0"}, 422, "DX030"),
        ({"amount": "1.001", "rate": "1"}, 422, "DX004"),
        ({"amount": "0.01", "rate": "0.4", "to_account": "JPY-CASH"}, 422, "DX033"),
        ({"amount": "1.00", "rate": "1", "fixed_side": "both"}, 422, "DX019"),
        ({"amount": "1.00", "rate": "1", "from_account": "NOPE"}, 422, "DX006"),
        ({"amount": "1.00", "rate": "1", "from_account": "EUR-SAVE"}, 422, "DX010"),
        ({"amount": 1}, 422, "invalid_request"),
        ({"amount": "1e3"}, 422, "invalid_request"),
        ({}, 422, "invalid_request"),
        ({"amount": "1.00", "from_account": None}, 422, "invalid_request"),
    ]
    for extra, status, code in cases:
        await problem(await client.post("/api/fx/transfers", json=base | extra), status, code)
    no_key = {k: v for k, v in base.items() if k != "idempotency_key"}
    response = await client.post("/api/fx/transfers", json=no_key | {"amount": "1.00"})
    await problem(response, 422, "invalid_request")
    # Nothing of it was written: the key is still free.
    response = await client.post("/api/fx/transfers", json=base | {"amount": "1.00", "rate": "2"})
    assert (await ok(response, 201))["destination_amount"] == "2.00"


async def test_position(client: Client) -> None:
    empty = await ok(await client.get("/api/fx/position"))
    assert empty == {"as_of": None, "reporting_ccy": "EUR", "items": []}
    await ok(await put_rate(client, "EUR", "USD", {"rate": "1.25", "valid_on": iso("2026-01-01")}))
    body = {"from_account": "EUR-CASH", "to_account": "USD-CASH", "amount": "10.00"}
    early = body | {"idempotency_key": "p1", "effective_date": iso("2026-01-15")}
    await ok(await client.post("/api/fx/transfers", json=early), 201)
    late = body | {"idempotency_key": "p2", "effective_date": iso("2026-03-01")}
    await ok(await client.post("/api/fx/transfers", json=late), 201)

    now = await ok(await client.get("/api/fx/position?reporting_ccy=USD"))
    assert now["reporting_ccy"] == "USD"
    assert [(i["ccy"], i["position"], i["rate"], i["value"]) for i in now["items"]] == [
        ("EUR", "-20.00", "1.25", "-25.00"),
        ("USD", "25.00", "1", "25.00"),
    ]
    before = await ok(await client.get(shifted("/api/fx/position?as_of=2026-02-01")))
    assert before["as_of"] == iso("2026-02-01")
    assert [(i["ccy"], i["position"], i["rate"], i["value"]) for i in before["items"]] == [
        ("EUR", "-10.00", "1", "-10.00"),
        ("USD", "12.50", "0.800000000000", "10.00"),
    ]
    await problem(await client.get("/api/fx/position?reporting_ccy=XXX"), 422, "DX005")
    await problem(await client.get("/api/fx/position?reporting_ccy="), 422, "DX005")
    await problem(await client.get("/api/fx/position?as_of=soon"), 422, "invalid_request")


def test_fx_routes_are_documented() -> None:
    paths = DOCUMENT["paths"]
    assert set(paths["/api/fx/rates/{base}/{quote}"]) == {"put"}
    assert set(paths["/api/fx/rates"]) == {"get"}
    assert set(paths["/api/fx/transfers"]["post"]["responses"]) >= {"200", "201", "default"}
    assert set(paths["/api/fx/position"]) == {"get"}


def test_fx_writes_refuse_a_weaker_isolation(app_dsn: str) -> None:
    with psycopg.connect(app_dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
        for call in (
            shifted("SELECT ledger.upsert_fx_rate('EUR', 'USD', 1.1, '2026-01-01')"),
            "SELECT ledger.post_fx_transfer('k', 'EUR-CASH', 'USD-CASH', 1.00, rate => 1)",
        ):
            with pytest.raises(psycopg.Error) as refused:
                conn.execute(call)
            assert refused.value.sqlstate == "DX016"
            conn.rollback()
