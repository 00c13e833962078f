"""Every limit in one place: the ledger's ledger_private.api_limit. The OpenAPI document
names the limits it shows (doublex.api.limits) and takes their values from
ledger.api_limits() when it is served, so a limit changed in SQL alone is followed by the
document, its page and the REST answers alike. While the database cannot be reached the
document is a 503 problem, as every route that needs the ledger is."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import psycopg

from doublex import config, localdb
from doublex.api import limits
from doublex.api.app import OPENAPI_DOCUMENT
from doublex.db import Ledger
from doublex.serve import build_app
from support.http import api, legs, ok, open_account, problem, serving

# JSON Schema keywords that bound a size or a count: each shows a limit of the ledger.
BOUNDS = {"maxLength", "maxItems", "minItems", "maximum"}


def set_limit(conn: psycopg.Connection[Any], name: str, value: int) -> None:
    """Replace ledger_private.api_limit with one whose `name` is `value` (as a superuser)."""
    definition = conn.execute(
        "SELECT pg_get_functiondef('ledger_private.api_limit(text)'::regprocedure)"
    ).fetchone()
    assert definition is not None
    changed, found = re.subn(rf"(WHEN '{name}' THEN )[0-9]+", rf"\g<1>{value}", definition[0])
    assert found == 1, name
    conn.execute(changed)


def bounds(node: Any, where: str = "") -> list[tuple[str, Any]]:
    """(place, value) of every size or count bound in a document."""
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in BOUNDS:
                found.append((f"{where}.{key}", value))
            found += bounds(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += bounds(item, f"{where}[{index}]")
    return found


def schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"][name]
    return found


async def test_the_ledger_lists_every_limit_the_document_names(
    ledger: Ledger, admin_conn: psycopg.Connection[Any]
) -> None:
    known = await ledger.api_limits()
    assert len(known) == 43
    for name, value in known.items():
        row = admin_conn.execute("SELECT ledger_private.api_limit(%s)", (name,)).fetchone()
        assert row == (value,), name
    assert limits.names(OPENAPI_DOCUMENT) <= set(known)
    assert {"idempotency_key_length", "client_id_length", "batch_requests", "page_size"} <= (
        limits.names(OPENAPI_DOCUMENT)
    )
    async with api(ledger) as client:
        served = await ok(await client.get("/api/openapi.json"))
    assert served == limits.resolve(OPENAPI_DOCUMENT, known)
    assert limits.names(served) == set()


def test_the_document_restates_no_limit() -> None:
    found = bounds(OPENAPI_DOCUMENT)
    assert len(found) >= 10
    restated = [(where, value) for where, value in found if not isinstance(value, limits.Limit)]
    assert restated == []
    # The earlier API's key is what the ledger key leaves after `client_id:`.
    legacy_key = schema(OPENAPI_DOCUMENT, "LegacyTransfer")["properties"]["idempotency_key"]
    bound = legacy_key["anyOf"][0]["maxLength"]
    assert bound == limits.Limit("idempotency_key_length") - limits.Limit("client_id_length") - 1
    assert bound.value({"idempotency_key_length": 255, "client_id_length": 64}) == 190


async def test_a_limit_changed_in_sql_is_followed_by_the_document_and_the_answers(
    ledger: Ledger, admin_conn: psycopg.Connection[Any]
) -> None:
    set_limit(admin_conn, "memo_length", 10)
    set_limit(admin_conn, "idempotency_key_length", 100)
    set_limit(admin_conn, "batch_requests", 3)
    set_limit(admin_conn, "account_code_length", 12)
    async with api(ledger) as client:
        document = await ok(await client.get("/api/openapi.json"))
        transfer = schema(document, "Transfer")["properties"]
        assert transfer["memo"]["anyOf"][0]["maxLength"] == 10
        assert transfer["idempotency_key"]["anyOf"][0]["maxLength"] == 100
        legacy = schema(document, "LegacyTransfer")["properties"]
        assert legacy["idempotency_key"]["anyOf"][0]["maxLength"] == 100 - 64 - 1
        assert schema(document, "BatchRequest")["properties"]["requests"]["maxItems"] == 3
        batch = document["paths"]["/api/transfers/batch"]["post"]
        assert batch["summary"] == "Post up to 3 journals in one transaction"
        code = schema(document, "Leg")["properties"]["account"]["pattern"]
        assert code == "^[A-Za-z0-9][A-Za-z0-9._:-]{0,11}$"
        page = await (await client.get("/api/docs")).text()
        assert "Post up to 3 journals in one transaction" in page

        # The answers follow the same limits: REST passes the values on, SQL checks them.
        await open_account(client, "CASH")
        await open_account(client, "SALES", type="income")
        body = {
            "idempotency_key": "k" * 100,
            "legs": legs("CASH", "SALES", "1.00"),
            "memo": "m" * 10,
        }
        await ok(await client.post("/api/transfers", json=body), 201)
        body = {"idempotency_key": "k2", "legs": legs("CASH", "SALES", "1.00"), "memo": "m" * 11}
        await problem(await client.post("/api/transfers", json=body), 422, "DX019")
        body = {"idempotency_key": "k" * 101, "legs": legs("CASH", "SALES", "1.00")}
        await problem(await client.post("/api/transfers", json=body), 422, "DX012")
        requests = [
            {"idempotency_key": f"b{i}", "legs": legs("CASH", "SALES", "1")} for i in range(4)
        ]
        await problem(
            await client.post("/api/transfers/batch", json={"requests": requests}), 422, "DX024"
        )
        account = {"code": "C" * 13, "name": "long code", "ccy": "EUR"}
        await problem(await client.post("/api/accounts", json=account), 422, "DX018")
        account["code"] = "C" * 12
        await ok(await client.post("/api/accounts", json=account), 201)


async def test_the_document_reads_the_limits_once(
    ledger: Ledger, admin_conn: psycopg.Connection[Any]
) -> None:
    async with api(ledger) as client:
        before = await ok(await client.get("/api/openapi.json"))
        set_limit(admin_conn, "memo_length", 10)
        # Kept: a changed limit is published by a restart, as a migration is.
        assert await ok(await client.get("/api/openapi.json")) == before
    async with api(ledger) as client:
        after = await ok(await client.get("/api/openapi.json"))
    assert schema(after, "Transfer")["properties"]["memo"]["anyOf"][0]["maxLength"] == 10
    assert schema(before, "Transfer")["properties"]["memo"]["anyOf"][0]["maxLength"] == 1000


async def test_the_document_without_the_database_is_a_503_problem() -> None:
    closed = f"host=127.0.0.1 port={localdb.free_port()} user=doublex_app dbname=nowhere"
    settings = dataclasses.replace(
        config.load(), pool_min=1, pool_max=2, pool_timeout=0.3, roll_up_seconds=60
    )
    async with serving(build_app(settings, closed)) as client:
        for path in ("/api/openapi.json", "/api/docs"):
            response = await client.get(path)
            await problem(response, 503, "database_unavailable")
            assert int(response.headers["Retry-After"]) >= 1
