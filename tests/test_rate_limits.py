"""Per-key rate limits (#15) through a real server: a burst over a key's limit is answered
429 `rate_limited` with Retry-After and never reaches the ledger; keys are limited
independently; a changed limit applies within DOUBLEX_KEY_RATE_SECONDS; invalid tokens
(made-up key ids, another secret for a real key id) get 401 from the database and no bucket,
so they neither grow memory nor drain a real key's bucket; the bucket table stays bounded."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import psycopg

from doublex.api.rate_limit import BUCKETS, KeyBuckets
from doublex.db import Ledger
from doublex.db.principal import PRINCIPAL
from support.http import (
    Client,
    Samples,
    admin_connection,
    api,
    as_service,
    bearer,
    create_key,
    legs,
    ok,
    open_account,
    problem,
)

RATE_LIMITED = ("http_rate_limited_total", {})
POSTED = ("ledger_tx_total", {"status": "posted"})
POSTING_CALLS = ("ledger_posting_latency_ms_count", {})


def journals(admin_dsn: str) -> int:
    with psycopg.connect(admin_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM ledger_private.journal").fetchone()
    assert row is not None
    return int(row[0])


async def post(client: Client, tag: str, token: str | None = None) -> Any:
    body = {"idempotency_key": tag, "legs": legs("1001-CASH", "4001-SALES", "1.00")}
    headers = bearer(token) if token else None
    return await client.post("/api/transfers", json=body, headers=headers)


async def books(client: Client) -> None:
    await open_account(client, "1001-CASH")
    await open_account(client, "4001-SALES", type="income")


def set_rate(admin_dsn: str, key_id: str, rate: int, burst: int) -> None:
    with admin_connection(admin_dsn) as conn:
        conn.execute("SELECT ledger.set_api_key_rate(%s, %s, %s)", (key_id, rate, burst))


async def test_a_burst_over_the_limit_is_429_and_never_reaches_the_ledger(
    ledger: Ledger, admin_dsn: str
) -> None:
    admin = create_key(admin_dsn)["token"]  # opens the accounts, not limited
    slow = create_key(admin_dsn, capabilities=["post"], requests_per_second=1, burst=3)
    async with api(ledger, admin) as client:
        await books(client)
        before = journals(admin_dsn)
        counted = Samples(RATE_LIMITED, POSTED, POSTING_CALLS)
        statuses = [(await post(client, f"b-{n}", slow["token"])).status for n in range(3)]
        assert statuses == [201, 201, 201]  # the burst
        refused = await post(client, "b-over", slow["token"])
        document = await problem(refused, 429, "rate_limited")
        assert "1 requests per second" in document["detail"] and document["hint"]
        retry_after = refused.headers["Retry-After"]
        assert retry_after.isdigit() and int(retry_after) >= 1
        assert "WWW-Authenticate" not in refused.headers
        assert journals(admin_dsn) == before + 3  # the fourth wrote nothing
        delta = counted.delta()
        assert delta["http_rate_limited_total"] == 1
        assert delta['ledger_tx_total{status="posted"}'] == 3
        assert delta["ledger_posting_latency_ms_count"] == 3  # no ledger call for the 429
        # After Retry-After the key may post again: the bucket refills at its rate.
        await asyncio.sleep(int(retry_after))
        assert (await post(client, "b-after", slow["token"])).status == 201
        metrics = await (await client.get("/metrics")).text()
        assert any(line.startswith("http_rate_limited_total ") for line in metrics.splitlines())


async def test_two_keys_are_limited_independently(ledger: Ledger, admin_dsn: str) -> None:
    admin = create_key(admin_dsn)["token"]
    first = create_key(admin_dsn, requests_per_second=1, burst=1)["token"]
    second = create_key(admin_dsn, requests_per_second=1, burst=2)["token"]
    async with api(ledger, admin) as client:
        await books(client)
        assert (await post(client, "i-1", first)).status == 201
        await problem(await post(client, "i-2", first), 429, "rate_limited")
        # The second key has its own bucket, untouched by the first's.
        assert [(await post(client, f"i-s{n}", second)).status for n in range(2)] == [201, 201]
        await problem(await post(client, "i-s3", second), 429, "rate_limited")
        # The admin key (the highest limit) was never limited by either.
        assert (await client.get("/api/accounts")).status == 200


async def test_a_changed_limit_applies_within_the_bound(ledger: Ledger, admin_dsn: str) -> None:
    admin = create_key(admin_dsn)["token"]
    made = create_key(admin_dsn, capabilities=["read"], requests_per_second=1, burst=1)
    bound = 0.5
    async with api(ledger, admin, key_rate_seconds=bound) as client:
        headers = bearer(made["token"])
        assert (await client.get("/api/accounts", headers=headers)).status == 200
        await problem(await client.get("/api/accounts", headers=headers), 429, "rate_limited")
        # Raised through the REST route (admin), then read again within the bound.
        changed = await ok(
            await client.patch(
                f"/api/keys/{made['key_id']}", json={"requests_per_second": 1000, "burst": 50}
            )
        )
        assert (changed["requests_per_second"], changed["burst"]) == (1000, 50)
        await asyncio.sleep(bound + 0.1)
        statuses = [(await client.get("/api/accounts", headers=headers)).status for _ in range(20)]
        assert statuses == [200] * 20
        # Lowered again (SQL, as `doublex keys rate` does): the old limit holds at most the
        # bound, then the new one.
        set_rate(admin_dsn, made["key_id"], 1, 1)
        await asyncio.sleep(bound + 0.1)
        assert (await client.get("/api/accounts", headers=headers)).status == 200
        await problem(await client.get("/api/accounts", headers=headers), 429, "rate_limited")
        # A bad limit is the ledger's DX046, naming the field.
        bad = await client.patch(f"/api/keys/{made['key_id']}", json={"burst": 0})
        assert (await problem(bad, 422, "DX046"))["errors"][0]["field"] == "burst"
        too_fast = await client.post(
            "/api/keys", json={"name": "x", "capabilities": ["read"], "requests_per_second": 10**6}
        )
        await problem(too_fast, 422, "DX046")


async def test_invalid_tokens_get_401_and_no_bucket(ledger: Ledger, admin_dsn: str) -> None:
    real = create_key(admin_dsn, capabilities=["read"], requests_per_second=1, burst=2)
    async with api(ledger, "") as client:
        buckets = client.app[BUCKETS] if client.app is not None else None
        assert buckets is not None
        for _ in range(200):  # made-up key ids, each well-formed
            forged = f"dxk_{secrets.token_hex(6)}.{secrets.token_hex(32)}"
            await problem(await client.get("/api/accounts", headers=bearer(forged)), 401, "DX040")
        # The real key's id with another secret: 401 each, and its bucket is not drained.
        other_secret = real["token"][:17] + secrets.token_hex(32)
        for _ in range(5):
            await problem(
                await client.get("/api/accounts", headers=bearer(other_secret)), 401, "DX040"
            )
        assert len(buckets.buckets) == 0
        headers = bearer(real["token"])
        assert [(await client.get("/api/accounts", headers=headers)).status for _ in range(2)] == [
            200,
            200,
        ]
        assert list(buckets.buckets) == [real["key_id"]]
        await problem(await client.get("/api/accounts", headers=headers), 429, "rate_limited")
        # Still refused with its 401 while the real key is limited: the forged secret never
        # shares the real key's bucket.
        await problem(await client.get("/api/accounts", headers=bearer(other_secret)), 401, "DX040")


async def test_the_bucket_table_is_bounded(ledger: Ledger, admin_dsn: str) -> None:
    """At most `size` buckets, least recently used dropped first (config.KEY_BUCKETS in the
    service), with real keys verified by a real database."""
    tokens = [create_key(admin_dsn, name=f"k{n}")["token"] for n in range(5)]
    service = as_service(ledger)
    await service.open()
    try:
        buckets = KeyBuckets(refresh_seconds=60, size=3)
        for token in tokens + tokens[:1]:
            reset = PRINCIPAL.set(token)
            try:
                await buckets.admit(service, token)
            finally:
                PRINCIPAL.reset(reset)
        assert len(buckets.buckets) == 3
        ids = [token.partition(".")[0] for token in tokens]
        assert list(buckets.buckets) == [ids[3], ids[4], ids[0]]
    finally:
        await service.close()
