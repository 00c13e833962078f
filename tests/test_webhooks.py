"""Webhooks (issue #18) against a real HTTP receiver (aiohttp on 127.0.0.1) that fails,
times out and answers slowly on a schedule: every event delivered, each signature checked
by the test's own HMAC (not the package's), backoff and dead letters, replay, one slow or
dead endpoint never delaying a healthy one, no event lost when the service is killed
mid-delivery, the SSRF guard, the REST routes and the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiohttp import web
from click.testing import CliRunner
from prometheus_client import REGISTRY
from psycopg.rows import dict_row

from doublex import config, localdb, webhooks
from doublex.config import WebhookSettings
from doublex.db import Ledger
from doublex.db.ledger_webhooks import Attempts
from doublex.webhook_signature import sign, verify_signature
from support.events import read_events, sequence_all
from support.http import admin_connection, api, bearer, create_key
from support.serving import Service
from test_cli_ledger import run

FAST = WebhookSettings(
    page_size=50, concurrency=4, timeout_seconds=1.0, lease_seconds=5.0, poll_seconds=0.05,
    endpoints_seconds=0.2, retry_base_seconds=0.05, retry_cap_seconds=0.2,
    give_up_seconds=86400.0, allow_private=True,
)  # fmt: skip


# -- the receiver -------------------------------------------------------------------------------


def independent_check(secret: str, header: str, body: bytes, now: float) -> bool:
    """Stripe's scheme written again from its description, not from doublex's code."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return abs(now - timestamp) <= 300 and hmac.compare_digest(mac.hexdigest(), fields["v1"])


@dataclass
class Receiver:
    """An HTTP endpoint on 127.0.0.1. `schedule(n)` decides the n-th request's fate (n from
    1): an int status, "timeout" (answer after the worker gave up), or ("slow", seconds)."""

    secret: str = ""
    schedule: Callable[[int], Any] = lambda n: 200
    requests: int = 0
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)
    arrivals: dict[str, float] = field(default_factory=dict)
    bad_signatures: int = 0
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        n = self.requests
        body = await request.read()
        if not independent_check(
            self.secret, request.headers["DoubleX-Signature"], body, time.time()
        ):
            self.bad_signatures += 1
            return web.Response(status=400)
        fate = self.schedule(n)
        if fate == "timeout":
            await asyncio.sleep(3)
            fate = 200
        elif isinstance(fate, tuple):
            await asyncio.sleep(fate[1])
            fate = 200
        if 200 <= fate < 300:
            event = json.loads(body)
            assert request.headers["Event-Id"] == event["event_id"]
            assert request.headers["DoubleX-Event-Type"] == event["type"]
            self.delivered.setdefault(event["event_id"], event)
            self.arrivals.setdefault(event["event_id"], time.time())
        return web.Response(status=fate)


@contextlib.asynccontextmanager
async def receiving(receiver: Receiver) -> AsyncIterator[Receiver]:
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    port = localdb.free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    receiver.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield receiver
    finally:
        await runner.cleanup()


# -- helpers ------------------------------------------------------------------------------------


def create_hook(admin_dsn: str, receiver: Receiver, types: list[str] | None = None) -> str:
    with admin_connection(admin_dsn) as conn:
        row = conn.execute(
            "SELECT webhook_id, secret FROM ledger.create_webhook(%s, %s)", (receiver.url, types)
        ).fetchone()
    assert row is not None
    receiver.secret = row[1]
    return str(row[0])


def post_journals(admin_dsn: str, count: int, prefix: str = "j") -> None:
    with admin_connection(admin_dsn) as conn:
        for code in ("CASH", "SALES"):
            conn.execute(
                "SELECT ledger.create_account(%s, %s, 'EUR') WHERE NOT EXISTS"
                " (SELECT FROM ledger.list_accounts() WHERE code = %s)", (code, code, code),
            )  # fmt: skip
        conn.commit()
        for n in range(count):
            conn.execute(
                "SELECT ledger.post_journal(%s, %s::jsonb)",
                (f"{prefix}{n}", json.dumps([
                    {"account": "CASH", "side": "debit", "amount": "1.00", "ccy": "EUR"},
                    {"account": "SALES", "side": "credit", "amount": "1.00", "ccy": "EUR"},
                ])),
            )  # fmt: skip
            conn.commit()


def hook_row(admin_dsn: str, webhook_id: str) -> dict[str, Any]:
    with psycopg.connect(admin_dsn, row_factory=dict_row) as conn:
        row = conn.execute(
            "SELECT * FROM ledger_private.webhook WHERE webhook_id = %s", (webhook_id,)
        ).fetchone()
    assert row is not None
    return row


def history(admin_dsn: str, webhook_id: str) -> list[dict[str, Any]]:
    with psycopg.connect(admin_dsn, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT * FROM ledger_private.webhook_delivery WHERE webhook_id = %s"
            " ORDER BY delivery_id",
            (webhook_id,),
        ).fetchall()


def dead_letters(admin_dsn: str, webhook_id: str) -> list[dict[str, Any]]:
    return [row for row in history(admin_dsn, webhook_id) if row["outcome"] == "dead_letter"]


def wanted_ids(admin_dsn: str, after: int = 0, types: set[str] | None = None) -> set[str]:
    return {
        str(e["event_id"]) for e in read_events(admin_dsn, after)
        if types is None or e["type"] in types
    }  # fmt: skip


@pytest.fixture
async def service_ledger(service_dsn: str) -> AsyncIterator[Ledger]:
    """The worker's Ledger, made as `doublex serve` makes it (the service login)."""
    async with Ledger(service_dsn, min_size=1, max_size=6, act_as=config.API_ROLE) as opened:
        yield opened


@contextlib.asynccontextmanager
async def worker(
    ledger: Ledger, settings: WebhookSettings = FAST
) -> AsyncIterator[webhooks.Deliverer]:
    deliverer = webhooks.Deliverer(ledger, settings)
    task = asyncio.create_task(deliverer.run())
    try:
        yield deliverer
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def arrived(receiver: Receiver, expected: set[str]) -> Callable[[], bool]:
    return lambda: expected <= receiver.delivered.keys()


def delivery_count(outcome: str) -> float:
    value = REGISTRY.get_sample_value("webhook_deliveries_total", {"outcome": outcome})
    return value or 0.0


async def until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


# -- signatures -----------------------------------------------------------------------------------


def test_the_signature_is_stripe_s_scheme_and_refuses_replays() -> None:
    body = b'{"event_id": "x"}'
    header = sign("whsec_test", body, timestamp=1_700_000_000)
    expected = hmac.new(b"whsec_test", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert verify_signature("whsec_test", header, body, now=1_700_000_000 + 299)
    assert not verify_signature("whsec_test", header, body, now=1_700_000_000 + 301)  # replay
    assert not verify_signature("whsec_test", header, body, now=1_700_000_000 - 301)
    assert not verify_signature("whsec_other", header, body, now=1_700_000_000)
    assert not verify_signature("whsec_test", header, body + b" ", now=1_700_000_000)
    assert not verify_signature("whsec_test", "v1=" + expected, body, now=1_700_000_000)
    assert not verify_signature("whsec_test", "garbage", body)
    rolled = f"t=1700000000,v1={'0' * 64},v1={expected}"
    assert verify_signature("whsec_test", rolled, body, now=1_700_000_000)


# -- delivery -----------------------------------------------------------------------------------


async def test_every_event_arrives_through_failures_timeouts_and_slow_answers(
    admin_dsn: str, service_ledger: Ledger
) -> None:
    """500s, timeouts and slow answers on a schedule: every event of the endpoint's types
    arrives, signed; the history shows the failures; the streak clears on success."""

    def schedule(n: int) -> Any:
        if n % 7 == 3:
            return 500
        if n % 11 == 5:
            return "timeout"
        if n % 5 == 0:
            return ("slow", 0.3)
        return 200

    async with receiving(Receiver(schedule=schedule)) as receiver:
        before = max((e["position"] for e in read_events(admin_dsn)), default=0)
        hook = create_hook(admin_dsn, receiver, ["journal.posted", "account.created"])
        post_journals(admin_dsn, 40)
        sequence_all(admin_dsn)
        expected = wanted_ids(admin_dsn, before, {"journal.posted", "account.created"})
        assert len(expected) == 42
        last = max(e["position"] for e in read_events(admin_dsn))
        counted = {o: delivery_count(o) for o in ("delivered", "failed")}
        async with worker(service_ledger):
            # The receiver may hold an event whose answer came after the worker's timeout:
            # the worker counts it failed and sends it again. Done: its cursor is at the end.
            await until(
                lambda: hook_row(admin_dsn, hook)["cursor"] == last, 60, "the cursor at the end"
            )
    assert receiver.delivered.keys() == expected
    assert receiver.bad_signatures == 0
    outcomes = [row["outcome"] for row in history(admin_dsn, hook)]
    assert outcomes.count("failed") >= 3 and "delivered" in outcomes
    for outcome in ("delivered", "failed"):  # webhook_deliveries_total{outcome}
        assert delivery_count(outcome) - counted[outcome] == outcomes.count(outcome)
    assert any("timeout" in (row["error"] or "") for row in history(admin_dsn, hook))
    state = hook_row(admin_dsn, hook)
    assert state["attempts"] == 0 and state["failing_since"] is None


async def test_a_dead_endpoint_never_delays_a_healthy_one(
    admin_dsn: str, service_ledger: Ledger
) -> None:
    """One endpoint hangs past the timeout, another refuses connections: the healthy one
    gets each event within a second of its sequencing."""
    async with (
        receiving(Receiver()) as healthy,
        receiving(Receiver(schedule=lambda n: "timeout")) as hanging,
    ):
        create_hook(admin_dsn, healthy, ["journal.posted"])
        create_hook(admin_dsn, hanging, ["journal.posted"])
        dead = Receiver(url=f"http://127.0.0.1:{localdb.free_port()}/hook")
        create_hook(admin_dsn, dead, ["journal.posted"])
        async with worker(service_ledger):
            await asyncio.sleep(0.5)  # every endpoint's task runs
            for batch in range(5):
                post_journals(admin_dsn, 4, prefix=f"b{batch}-")
                sequenced = time.time()
                sequence_all(admin_dsn)
                expected = wanted_ids(admin_dsn, types={"journal.posted"})
                await until(arrived(healthy, expected), 5, "the healthy endpoint")
                assert max(healthy.arrivals.values()) - sequenced < 1.5
        assert hanging.delivered == {}


async def test_backoff_then_dead_letters_then_replay(
    admin_dsn: str, service_ledger: Ledger
) -> None:
    """An endpoint that always fails is retried with growing waits; after the give-up
    window its waiting events are dead letters and the cursor passes them; a replay from
    the first one delivers them all once the endpoint answers."""
    answer = {"status": 503}
    async with receiving(Receiver(schedule=lambda n: answer["status"])) as receiver:
        hook = create_hook(admin_dsn, receiver, ["journal.posted"])
        post_journals(admin_dsn, 3)
        sequence_all(admin_dsn)
        expected = wanted_ids(admin_dsn, types={"journal.posted"})
        quick_give_up = replace(
            FAST, retry_base_seconds=0.1, retry_cap_seconds=0.4, give_up_seconds=1.5
        )
        async with worker(service_ledger, quick_give_up):
            await until(lambda: len(dead_letters(admin_dsn, hook)) == 3, 20, "the dead letters")
        rows = history(admin_dsn, hook)
        failed = [r for r in rows if r["outcome"] == "failed"]
        assert len(failed) >= 3 and all(r["status"] == 503 for r in failed)
        gaps = [b["attempted_at"] - a["attempted_at"] for a, b in pairwise(failed)]
        assert max(gaps).total_seconds() >= 0.15  # it waited, more than the first base
        dead = [r for r in rows if r["outcome"] == "dead_letter"]
        assert {str(r["event_id"]) for r in dead} == expected
        assert all("HTTP 503" in r["error"] for r in dead)
        state = hook_row(admin_dsn, hook)
        assert state["cursor"] == max(r["position"] for r in dead)
        assert receiver.delivered == {}

        answer["status"] = 200
        with admin_connection(admin_dsn) as conn:
            conn.execute(
                "SELECT ledger.replay_webhook(%s, %s)", (hook, min(r["position"] for r in dead))
            )
        async with worker(service_ledger):
            await until(lambda: expected <= receiver.delivered.keys(), 10, "the replay")
    assert receiver.delivered.keys() == expected


async def test_private_addresses_are_refused_unless_allowed(
    admin_dsn: str, service_ledger: Ledger
) -> None:
    async with receiving(Receiver()) as receiver:
        hook = create_hook(admin_dsn, receiver, ["account.created"])
        with admin_connection(admin_dsn) as conn:
            conn.execute("SELECT ledger.create_account('SSRF', 'ssrf', 'EUR')")
        sequence_all(admin_dsn)
        guarded = replace(FAST, allow_private=False)
        deliverer = webhooks.Deliverer(service_ledger, guarded)
        async with deliverer.connected():
            assert await deliverer.turn(hook)
        assert receiver.requests == 0
        [attempt] = history(admin_dsn, hook)
        assert attempt["outcome"] == "failed"
        assert attempt["error"] == "address not allowed: 127.0.0.1 is not a global address"
    assert webhooks.allowed_address("93.184.216.34")
    for inside in ("127.0.0.1", "10.1.2.3", "169.254.169.254", "192.168.1.1", "::1", "fc00::1"):
        assert not webhooks.allowed_address(inside)


async def test_a_lost_claim_is_delivered_again_and_a_replayed_claim_is_ignored(
    admin_dsn: str, service_ledger: Ledger
) -> None:
    """A worker that claimed and died: the lease runs out and another delivers the same
    events (at least once). A claim recorded after a replay changes nothing but history."""
    async with receiving(Receiver()) as receiver:
        hook = create_hook(admin_dsn, receiver, ["journal.posted"])
        post_journals(admin_dsn, 2)
        sequence_all(admin_dsn)
        claimed = await service_ledger.claim_webhook_events(hook, 10, 0.5)
        assert len(claimed) == 2
        assert await service_ledger.claim_webhook_events(hook, 10, 0.5) == []  # held
        await asyncio.sleep(0.6)
        again = await service_ledger.claim_webhook_events(hook, 10, 30)
        assert [r["position"] for r in again] == [r["position"] for r in claimed]
        with admin_connection(admin_dsn) as conn:
            conn.execute("SELECT ledger.replay_webhook(%s, 1)", (hook,))
        stale = Attempts(
            [r["position"] for r in again], [r["event_id"] for r in again], [200, 200],
            [None, None], [1, 1],
        )  # fmt: skip
        await service_ledger.record_webhook_deliveries(hook, again[0]["claim_token"], stale, FAST)
        assert hook_row(admin_dsn, hook)["cursor"] == 0
        assert len(history(admin_dsn, hook)) == 2


def test_no_event_is_lost_when_the_service_is_killed_mid_delivery(
    admin_dsn: str, service_dsn: str, tmp_path: Path
) -> None:
    """`doublex serve` delivers to a slow receiver and is killed (SIGKILL) in the middle;
    restarted, it delivers every event (some twice: the receiver de-duplicates)."""

    async def scenario() -> Receiver:
        async with receiving(Receiver(schedule=lambda n: ("slow", 0.05))) as receiver:
            create_hook(admin_dsn, receiver, ["journal.posted"])
            post_journals(admin_dsn, 60)
            expected_count = 60
            service = Service(
                service_dsn, tmp_path / "serve.log", LOG_LEVEL="WARNING",
                DOUBLEX_WEBHOOK_ALLOW_PRIVATE="1", DOUBLEX_WEBHOOK_LEASE_SECONDS="2",
                DOUBLEX_WEBHOOK_CONCURRENCY="2", DOUBLEX_WEBHOOK_PAGE_SIZE="20",
                DOUBLEX_WEBHOOK_ENDPOINTS_SECONDS="0.2", DOUBLEX_DEMO="off",
            )  # fmt: skip
            await asyncio.to_thread(service.start)
            try:
                await until(lambda: len(receiver.delivered) >= 10, 30, "the first deliveries")
                service.kill()
                cut = len(receiver.delivered)
                assert cut < expected_count, "the kill came too late to be mid-delivery"
                await asyncio.sleep(0.3)
                await asyncio.to_thread(service.start)
                await until(lambda: len(receiver.delivered) >= expected_count, 60, "the rest")
            finally:
                await asyncio.to_thread(service.stop)
            return receiver

    receiver = asyncio.run(scenario())
    expected = wanted_ids(admin_dsn, types={"journal.posted"})
    assert receiver.delivered.keys() == expected
    assert receiver.bad_signatures == 0
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


# -- the REST routes and the CLI -----------------------------------------------------------------


async def test_the_routes_create_list_replay_read_history_and_delete(ledger: Ledger) -> None:
    async with api(ledger) as client:
        created = await client.post(
            "/api/webhooks", json={"url": "https://hooks.example.com/x", "types": ["hold.created"]}
        )
        assert created.status == 201, await created.text()
        hook = await created.json()
        assert hook["secret"].startswith("whsec_") and hook["types"] == ["hold.created"]
        listed = await (await client.get("/api/webhooks")).json()
        assert [h["webhook_id"] for h in listed["items"]] == [hook["webhook_id"]]
        assert "secret" not in listed["items"][0]
        bad = await client.post("/api/webhooks", json={"url": "ftp://x"})
        assert bad.status == 422 and (await bad.json())["code"] == "DX059"
        path = f"/api/webhooks/{hook['webhook_id']}"
        replayed = await client.post(f"{path}/replay?from=1")
        assert replayed.status == 200 and (await replayed.json())["cursor"] == 0
        assert (await client.post(f"{path}/replay?from=0")).status == 422
        page = await client.get(f"{path}/deliveries?outcome=dead_letter")
        assert page.status == 200 and (await page.json()) == {"items": [], "next_cursor": None}
        assert (await client.get(f"{path}/deliveries?outcome=lost")).status == 422
        deleted = await client.delete(path)
        assert deleted.status == 200 and (await deleted.json())["deleted_at"] is not None
        again = await client.delete(path)
        assert again.status == 200 and await again.json() == await deleted.json()
        gone = await client.delete("/api/webhooks/dxw_000000000000")
        assert gone.status == 404 and (await gone.json())["code"] == "DX060"


async def test_the_routes_need_admin(ledger: Ledger, admin_dsn: str) -> None:
    reader = create_key(admin_dsn, capabilities=["read"])["token"]
    async with api(ledger, key=reader) as client:
        answer = await client.get("/api/webhooks", headers=bearer(reader))
        assert answer.status == 403


def test_the_cli_creates_lists_replays_and_delivers(
    admin_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOUBLEX_DSN", admin_dsn)
    monkeypatch.delenv("DOUBLEX_SERVICE_DSN", raising=False)
    monkeypatch.setenv("DOUBLEX_WEBHOOK_ALLOW_PRIVATE", "1")
    cli = CliRunner()

    async def scenario() -> tuple[Receiver, str]:
        async with receiving(Receiver()) as receiver:
            created = await asyncio.to_thread(
                run, cli, "webhooks", "create", receiver.url, "--types", "account.created", "--json"
            )
            hook = json.loads(created.stdout)
            receiver.secret = hook["secret"]
            with admin_connection(admin_dsn) as conn:
                conn.execute("SELECT ledger.create_account('CLI', 'cli', 'EUR')")
            sequence_all(admin_dsn)
            await asyncio.to_thread(run, cli, "webhooks", "deliver", "--once")
            return receiver, hook["webhook_id"]

    receiver, hook = asyncio.run(scenario())
    assert [e["payload"]["code"] for e in receiver.delivered.values()] == ["CLI"]
    listed = run(cli, "webhooks", "list")
    assert hook in listed.stdout and "whsec_" not in listed.stdout
    shown = json.loads(run(cli, "webhooks", "history", hook, "--json").stdout)
    assert [row["outcome"] for row in shown] == ["delivered"]
    assert (
        json.loads(run(cli, "webhooks", "replay", hook, "--from", "1", "--json").stdout)["cursor"]
        == 0
    )
    run(cli, "webhooks", "delete", hook)
    run(cli, "webhooks", "delete", "dxw_000000000000", code=1)
