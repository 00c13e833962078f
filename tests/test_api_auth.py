"""REST authentication and tenancy through a real server: every route by every kind of
credential with its exact status; revocation at the next request; the challenge header; two
tenants posting at once never see each other; a request's key never outlives it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from doublex import errors
from doublex.api.app import ROUTES
from doublex.api.operation import Access
from doublex.config import API_ROLE
from doublex.db import Ledger
from doublex.db.principal import PRINCIPAL
from support.dates import day, iso
from support.http import (
    CAPABILITIES,
    Client,
    api,
    bearer,
    create_key,
    legs,
    ok,
    problem,
)
from support.recon import BANK, open_books, post_bank
from support.tenants import create_tenants

OTHER = "acme"
DAY = day("2026-11-20")
STATEMENT = [(2, iso("2026-11-20"), "INV-1", "100.00", "EUR", "Invoice 1", None, 0)]
VARIANTS = ("none", "bad", "revoked", "expired", "other", "lacking", "right")
CHALLENGE = 'Bearer realm="doublex"'
INVALID = 'Bearer realm="doublex", error="invalid_token"'


@dataclass
class Books:
    client: Client
    keys: dict[str, str]  # variant (or "lacking:<capability>") → token
    journal_id: str
    spare_key_id: str
    holds: dict[str, str]  # the route's path → the hold it captures, voids or reads
    webhook_id: str
    monitor_id: str


def revoke(admin_dsn: str, key_id: str) -> None:
    with psycopg.connect(admin_dsn) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
        conn.execute("SELECT ledger.revoke_api_key(%s, 'default')", (key_id,))


@pytest.fixture
async def books(ledger: Ledger, admin_dsn: str, app_dsn: str) -> AsyncIterator[Books]:
    """Tenant default with accounts, a journal, a rate and a reconciliation; tenant acme
    empty; a key of every kind."""
    create_tenants(admin_dsn, OTHER)
    keys = {"right": create_key(admin_dsn)["token"]}
    keys["other"] = create_key(admin_dsn, OTHER)["token"]
    revoked = create_key(admin_dsn)
    revoke(admin_dsn, revoked["key_id"])
    keys["revoked"] = revoked["token"]
    soon = datetime.now(UTC) + timedelta(seconds=1)
    keys["expired"] = create_key(admin_dsn, expires_at=soon)["token"]
    keys["bad"] = keys["right"][:-4] + "0000"  # the right key id, a wrong secret
    for capability in CAPABILITIES:
        # Every capability but this one (`audit` also grants `read`).
        held = [c for c in CAPABILITIES if c != capability and (capability, c) != ("read", "audit")]
        keys[f"lacking:{capability}"] = create_key(admin_dsn, capabilities=held)["token"]
    spare = create_key(admin_dsn, capabilities=["read"], name="spare")
    with psycopg.connect(admin_dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        hook = conn.execute("SELECT webhook_id FROM ledger.create_webhook('https://x.example/h')")
        webhook_id = str(hook.fetchone()[0])  # type: ignore[index]
    open_books(app_dsn)
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        post_bank(conn, "bank-1", Decimal("100.00"), "INV-1", DAY)
    await ledger.import_statement(BANK, STATEMENT, "statement.csv")
    await ledger.recon_run(BANK, DAY)
    right = bearer(keys["right"])
    async with api(ledger, key="") as client:
        for code, ccy, kind in (
            ("1001-CASH", "EUR", "asset"),
            ("4001-SALES", "EUR", "income"),
            ("1002-YEN", "JPY", "asset"),
        ):
            body = {"code": code, "name": code, "ccy": ccy, "type": kind}
            await ok(await client.post("/api/accounts", json=body, headers=right), 201)
        rate = {"rate": "160", "valid_on": "2020-01-01"}
        await ok(await client.put("/api/fx/rates/EUR/JPY", json=rate, headers=right))
        seed = {"idempotency_key": "seed", "legs": legs("1001-CASH", "4001-SALES", "50.00")}
        posted = await ok(await client.post("/api/transfers", json=seed, headers=right), 201)
        watch = {"account": "1001-CASH", "field": "posted", "condition": "<", "threshold": "0"}
        monitor = await ok(await client.post("/api/monitors", json=watch, headers=right), 201)
        holds = {}
        for path in ("/api/holds/{hold_id}/capture", "/api/holds/{hold_id}/void"):
            body = {"idempotency_key": path, "legs": legs("1001-CASH", "4001-SALES", "2.00")}
            made = await ok(await client.post("/api/holds", json=body, headers=right), 201)
            holds[path] = made["hold_id"]
        holds["/api/holds/{hold_id}"] = made["hold_id"]
        await asyncio.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds() + 0.1))
        yield Books(
            client,
            keys,
            posted["journal_id"],
            spare["key_id"],
            holds,
            webhook_id,
            monitor["monitor_id"],
        )


def request_for(method: str, template: str, books: Books, tag: str) -> tuple[str, Any]:
    """The path and body of a request that succeeds with the right key (`tag` keeps the
    idempotency keys and new codes of each variant apart)."""
    path = (
        template.replace("{code}", "1001-CASH")
        .replace("{journal_id}", books.journal_id)
        .replace("{key_id}", books.spare_key_id)
        .replace("{webhook_id}", books.webhook_id)
        .replace("{monitor_id}", books.monitor_id)
        .replace("{base}", "EUR")
        .replace("{quote}", "JPY")
        .replace("{hold_id}", books.holds.get(template, ""))
    )
    queries = {
        "/api/fx/rates": "?base=EUR&quote=JPY&on=2020-01-01",
        "/api/reports/recon": f"?date={DAY}&account={BANK}",
        "/api/reports/recon.html": f"?date={DAY}&account={BANK}",
        "/api/accounts/{code}/statement": f"?from={DAY}&to={DAY}",
        "/api/webhooks/{webhook_id}/replay": "?from=1",
    }
    transfer = {"idempotency_key": f"t-{tag}", "legs": legs("1001-CASH", "4001-SALES", "1.00")}
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/api/accounts"): {"code": f"N-{tag}", "name": "new", "ccy": "EUR"},
        ("POST", "/api/transfers"): transfer,
        ("POST", "/api/transfers/batch"): {"requests": [transfer]},
        ("POST", "/api/journals/{journal_id}/reverse"): {"idempotency_key": f"r-{tag}"},
        ("PUT", "/api/fx/rates/{base}/{quote}"): {"rate": "161", "valid_on": "2021-06-01"},
        ("POST", "/api/fx/transfers"): {
            "idempotency_key": f"fx-{tag}",
            "from_account": "1001-CASH",
            "to_account": "1002-YEN",
            "amount": "1.00",
            "rate": "160",
        },
        ("POST", "/api/keys"): {"name": f"k-{tag}", "capabilities": ["read"]},
        ("PATCH", "/api/keys/{key_id}"): {"requests_per_second": 50},
        ("PUT", "/api/accounts/{code}/limits"): {"min_balance": "-1000", "max_balance": None},
        ("POST", "/api/holds"): {"idempotency_key": f"h-{tag}", "legs": transfer["legs"]},
        ("POST", "/api/holds/{hold_id}/capture"): {"idempotency_key": f"c-{tag}"},
        ("POST", "/api/holds/{hold_id}/void"): {"idempotency_key": f"v-{tag}"},
        ("POST", "/api/webhooks"): {"url": f"https://hooks.example.com/{tag}"},
        ("POST", "/api/monitors"): {
            "account": "1001-CASH",
            "field": "available",
            "condition": ">=",
            "threshold": "-1.5",
        },
    }
    return path + queries.get(template, ""), bodies.get((method, template))


# What the right key gets, and what a key of another tenant gets (its own empty books: the
# default tenant's objects are not found, exactly as if they did not exist).
RIGHT: dict[tuple[str, str], int] = {
    ("POST", "/api/accounts"): 201,
    ("POST", "/api/transfers"): 201,
    ("POST", "/api/journals/{journal_id}/reverse"): 201,
    ("POST", "/api/fx/transfers"): 201,
    ("POST", "/api/keys"): 201,
    ("POST", "/api/holds"): 201,
    ("POST", "/api/holds/{hold_id}/capture"): 201,
    ("POST", "/api/webhooks"): 201,
    ("POST", "/api/monitors"): 201,
}
OTHER_TENANT: dict[tuple[str, str], tuple[int, str | None]] = {
    ("POST", "/api/accounts"): (201, None),  # acme opens its own account
    ("GET", "/api/accounts/{code}"): (404, "DX020"),
    ("GET", "/api/accounts/{code}/balance"): (404, "DX020"),
    ("GET", "/api/accounts/{code}/history"): (404, "DX020"),
    ("GET", "/api/accounts/{code}/statement"): (404, "DX020"),
    ("POST", "/api/transfers"): (422, "DX006"),
    ("GET", "/api/journals/{journal_id}"): (404, "DX013"),
    ("POST", "/api/journals/{journal_id}/reverse"): (404, "DX013"),
    ("GET", "/api/fx/rates"): (404, "DX032"),
    ("POST", "/api/fx/transfers"): (422, "DX006"),
    ("GET", "/api/reports/recon"): (404, "DX020"),
    ("GET", "/api/reports/recon.html"): (404, "DX020"),
    ("POST", "/api/keys"): (201, None),  # a key of acme
    ("PATCH", "/api/keys/{key_id}"): (404, "DX045"),
    ("DELETE", "/api/keys/{key_id}"): (404, "DX045"),
    ("PUT", "/api/accounts/{code}/limits"): (404, "DX020"),
    ("POST", "/api/holds"): (422, "DX006"),
    ("GET", "/api/holds/{hold_id}"): (404, "DX049"),
    ("POST", "/api/holds/{hold_id}/capture"): (404, "DX049"),
    ("POST", "/api/holds/{hold_id}/void"): (404, "DX049"),
    ("POST", "/api/webhooks"): (201, None),  # an endpoint of acme
    ("POST", "/api/webhooks/{webhook_id}/replay"): (404, "DX060"),
    ("GET", "/api/webhooks/{webhook_id}/deliveries"): (404, "DX060"),
    ("DELETE", "/api/webhooks/{webhook_id}"): (404, "DX060"),
    ("POST", "/api/monitors"): (404, "DX020"),  # acme has no account 1001-CASH
    ("DELETE", "/api/monitors/{monitor_id}"): (404, "DX064"),
}


def expected(method: str, template: str, access: Access, variant: str) -> tuple[int, str | None]:
    if access in (Access.OPEN, Access.LOOPBACK):
        return 200, None  # the test client is a loopback client
    if variant in ("none", "bad", "revoked", "expired"):
        return 401, "DX040"
    if variant == "lacking":
        return 403, "DX041"
    if variant == "other":
        return OTHER_TENANT.get((method, template), (200, None))
    return RIGHT.get((method, template), 200), None


async def test_every_route_with_every_credential(books: Books) -> None:
    assert set(OTHER_TENANT) | set(RIGHT) <= {(m, t) for m, t, _, _ in ROUTES}
    seen: list[str] = []
    for method, template, _, access in ROUTES:
        for variant in VARIANTS:
            tag = f"{variant}-{len(seen)}"
            path, body = request_for(method, template, books, tag)
            key = books.keys.get(
                f"lacking:{access.capability}" if variant == "lacking" else variant
            )
            headers = bearer(key or "")
            response = await books.client.request(method, path, json=body, headers=headers)
            status, code = expected(method, template, access, variant)
            where = f"{variant} {method} {template}"
            seen.append(where)
            if code is None:
                text = await response.text()
                assert response.status == status, (where, text)
                continue
            await problem(response, status, code)
            if status == 401:
                challenge = CHALLENGE if variant == "none" else INVALID
                assert response.headers["WWW-Authenticate"] == challenge, where
            else:
                assert "WWW-Authenticate" not in response.headers, where
    assert len(seen) == len(ROUTES) * len(VARIANTS)


async def test_malformed_authorization_is_401_before_the_database(ledger: Ledger) -> None:
    async with api(ledger, key="") as client:
        for header, challenge in (
            ("Basic dXNlcjpwYXNz", CHALLENGE),
            ("Bearer", CHALLENGE),
            ("Bearer   ", CHALLENGE),
            ("Bearer not a token", INVALID),
            ("Bearer dxk_0123456789ab.zz\u00e9", INVALID),
        ):
            response = await client.get("/api/accounts", headers={"Authorization": header})
            await problem(response, 401, "DX040")
            assert response.headers["WWW-Authenticate"] == challenge, header


async def test_a_revoked_key_is_refused_at_its_next_request(ledger: Ledger, admin_dsn: str) -> None:
    admin_key = create_key(admin_dsn)["token"]
    async with api(ledger, key=admin_key) as client:
        made = await ok(
            await client.post("/api/keys", json={"name": "short", "capabilities": ["read"]}), 201
        )
        assert made["token"].startswith(made["key_id"] + ".")
        assert len(made["token"].partition(".")[2]) == 64
        short = bearer(made["token"])
        await ok(await client.get("/api/accounts", headers=short))
        listed = await ok(await client.get("/api/keys"))
        assert made["key_id"] in {key["key_id"] for key in listed["items"]}
        assert all("token" not in key and "secret_hash" not in key for key in listed["items"])
        revoked = await ok(await client.delete(f"/api/keys/{made['key_id']}"))
        assert revoked["revoked_at"] is not None
        # The bound is the revocation's commit: the very next request is refused.
        await problem(await client.get("/api/accounts", headers=short), 401, "DX040")
        audit = await ok(await client.get("/api/audit"))
        actions = [(entry["action"], entry["object"]) for entry in audit["items"]]
        assert ("create_api_key", made["key_id"]) in actions
        assert ("revoke_api_key", made["key_id"]) in actions
        admin_id = admin_key.partition(".")[0]
        assert {entry["actor"] for entry in audit["items"]} >= {f"key:{admin_id}"}


async def test_two_tenants_posting_at_once_never_see_each_other(
    ledger: Ledger, admin_dsn: str
) -> None:
    """Both tenants use the same account codes and the same idempotency keys, concurrently."""
    create_tenants(admin_dsn, OTHER)
    tokens = {
        "default": create_key(admin_dsn)["token"],
        OTHER: create_key(admin_dsn, OTHER)["token"],
    }
    amounts = {"default": "1.00", OTHER: "2.00"}
    keys = [f"same-{n}" for n in range(16)]
    async with api(ledger, key="") as client:
        for token in tokens.values():
            for code, kind in (("1001-CASH", "asset"), ("4001-SALES", "income")):
                body = {"code": code, "name": code, "ccy": "EUR", "type": kind}
                await ok(await client.post("/api/accounts", json=body, headers=bearer(token)), 201)

        async def post(tenant: str, key: str) -> tuple[str, int, dict[str, Any]]:
            body = {
                "idempotency_key": key,
                "legs": legs("1001-CASH", "4001-SALES", amounts[tenant]),
            }
            response = await client.post(
                "/api/transfers", json=body, headers=bearer(tokens[tenant])
            )
            return tenant, response.status, await response.json()

        # Every key twice per tenant, interleaved: one posting and one duplicate each.
        jobs = [post(tenant, key) for key in keys for tenant in tokens for _ in range(2)]
        results = await asyncio.gather(*jobs)
        journals: dict[str, set[str]] = {tenant: set() for tenant in tokens}
        for tenant, status, body in results:
            assert status in (200, 201), body
            journals[tenant].add(body["journal_id"])
        for tenant in tokens:
            assert len(journals[tenant]) == len(keys)
            assert (
                sorted(status for t, status, _ in results if t == tenant) == [200] * 16 + [201] * 16
            )
        assert not journals["default"] & journals[OTHER]
        for tenant, token in tokens.items():
            other = next(t for t in tokens if t != tenant)
            balance = await ok(
                await client.get("/api/accounts/1001-CASH/balance", headers=bearer(token))
            )
            assert Decimal(balance["balance"]) == Decimal(amounts[tenant]) * len(keys)
            listed = await ok(await client.get("/api/journals?limit=100", headers=bearer(token)))
            assert {item["journal_id"] for item in listed["items"]} == journals[tenant]
            for journal_id in list(journals[other])[:4]:
                response = await client.get(f"/api/journals/{journal_id}", headers=bearer(token))
                await problem(response, 404, "DX013")


async def test_a_call_never_runs_with_an_earlier_requests_key(
    service_dsn: str, admin_dsn: str
) -> None:
    """One pooled connection serves a keyed call, then calls with no key and with another
    tenant's key: each acts for its own principal only (transaction-local settings)."""
    create_tenants(admin_dsn, OTHER)
    token = create_key(admin_dsn)["token"]
    other = create_key(admin_dsn, OTHER)["token"]
    async with Ledger(service_dsn, min_size=1, max_size=1, act_as=API_ROLE) as service:
        reset = PRINCIPAL.set(token)
        try:
            assert (await service.get_tenant())["name"] == "default"
        finally:
            PRINCIPAL.reset(reset)
        with pytest.raises(errors.RuleViolation) as refused:
            await service.get_tenant()
        assert refused.value.code == "DX040"
        reset = PRINCIPAL.set(other)
        try:
            assert (await service.get_tenant())["name"] == OTHER
            with pytest.raises(errors.RuleViolation) as forbidden:
                await service.get_tenant("default")
            assert forbidden.value.code == "DX042"
        finally:
            PRINCIPAL.reset(reset)
        assert service.pool.get_stats()["pool_size"] == 1


def test_the_service_role_holds_no_power_of_its_own(service_dsn: str) -> None:
    """doublex_service without a key: no DDL, no private table, no trigger switch, no API."""
    with psycopg.connect(service_dsn, autocommit=True) as conn:
        for statement in (
            "CREATE TABLE ledger.intruder (x int)",
            "CREATE TABLE public.intruder (x int)",
            "SELECT count(*) FROM ledger_private.journal",
            "SELECT count(*) FROM ledger_private.api_key",
            "ALTER TABLE ledger_private.journal DISABLE TRIGGER ALL",
            "SET session_replication_role = replica",
            "SELECT * FROM ledger.list_accounts()",
        ):
            with pytest.raises(psycopg.Error) as refused:
                conn.execute(statement)
            assert refused.value.sqlstate in {"42501", "DX040"}, (statement, refused.value)
