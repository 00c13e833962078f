"""Request coalescing of POST /api/transfers (doublex.db.coalesce), end to end: every request
of a window gets exactly the answer it gets alone.

The mixes run on two real `doublex serve` processes over two databases prepared alike: one
coalescing (its window held open by a leader request that waits on a lock, so that the
whole mix queues and leaves as one batch, which /metrics must show), the other with
DOUBLEX_COALESCE=off, which posts the same requests one after another. Answers are compared
key by key (the order inside a window is the arrival order, so two requests of one key may
swap which is first). The in-process tests cover what a mix cannot: a batch aborted whole
(lock timeout) still answers every member, a request whose deadline strikes while queued is
never posted, two keys never share a batch, and the spans link requests and batches."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from doublex import tracing
from doublex.config import SERVICE_ROLE, CoalesceSettings
from doublex.db import Ledger
from support.cluster import TestCluster
from support.http import (
    api,
    create_key,
    hold_key,
    legs,
    ok,
    open_account,
    problem,
    wait_for_lock_waiter,
)
from support.invariants import assert_ledger_invariants
from support.serving import doublex_serve

IDEMPOTENCY_LOCK = "SELECT pg_advisory_lock(hashtext('doublex.idempotency'), hashtext(%s))"
SERVE_ENV = {
    "LOG_LEVEL": "WARNING",
    "DOUBLEX_WEBHOOKS": "off",
    "DOUBLEX_DEMO": "off",
    "DOUBLEX_COALESCE": "on",  # whatever the suite runs with (make test-coalesce-off)
    # A window leaves when it is full (WINDOW requests), never by the timer.
    "DOUBLEX_COALESCE_MAX_WAIT_MS": "60000",
}
WINDOW = 24  # DOUBLEX_COALESCE_MAX_BATCH of the coalescing server; every mix is padded to it
ACCOUNTS = [
    {"code": "1001-CASH", "ccy": "EUR", "type": "asset"},
    {"code": "4001-SALES", "ccy": "EUR", "type": "income"},
    # Never debited: every request that credits it would take it below zero (DX010).
    {"code": "1009-SAFE", "ccy": "EUR", "type": "asset", "allow_negative": False},
]
ORIGINALS = {  # posted before any window: replayed (duplicate) or reused (DX011)
    f"orig-{n}": {"legs": legs("1001-CASH", "4001-SALES", f"{n}.00"), "memo": f"original {n}"}
    for n in (1, 2, 3)
}
ALWAYS = {"account": "1001-CASH", "op": ">=", "amount": "-1000000000"}
NEVER = {"account": "1009-SAFE", "field": "posted", "op": ">=", "amount": "1"}

# What each kind of request is, as a body for its key and amount.
KINDS = (
    "good",
    "replay",
    "conflict",
    "unknown_account",
    "overdraft",
    "unbalanced",
    "one_leg",
    "bad_amount",
    "legs_not_a_list",
    "wrong_ccy",
    "condition_holds",
    "condition_fails",
    "twice",
)


def body_of(kind: str, key: str, amount: int) -> list[dict[str, Any]]:
    """The request bodies of one kind (`twice`: the same new request two times)."""
    money = f"{amount}.00"
    good = {"idempotency_key": key, "legs": legs("1001-CASH", "4001-SALES", money)}
    original = f"orig-{amount % 3 + 1}"
    if kind == "good":
        return [good]
    if kind == "replay":
        return [{"idempotency_key": original} | ORIGINALS[original]]
    if kind == "conflict":
        return [{"idempotency_key": original} | ORIGINALS[original] | {"memo": "changed"}]
    if kind == "unknown_account":
        return [good | {"legs": legs("1001-CASH", "9999-NOPE", money)}]
    if kind == "overdraft":
        return [good | {"legs": legs("1001-CASH", "1009-SAFE", money)}]
    if kind == "unbalanced":
        unbalanced = legs("1001-CASH", "4001-SALES", money)
        unbalanced[1]["amount"] = f"{amount + 1}.00"
        return [good | {"legs": unbalanced}]
    if kind == "one_leg":
        return [good | {"legs": good["legs"][:1]}]
    if kind == "bad_amount":
        return [good | {"legs": legs("1001-CASH", "4001-SALES", "12,50")}]
    if kind == "legs_not_a_list":
        return [good | {"legs": {"account": "1001-CASH"}}]
    if kind == "wrong_ccy":
        return [good | {"legs": legs("1001-CASH", "4001-SALES", money, ccy="USD")}]
    if kind == "condition_holds":
        return [good | {"conditions": [ALWAYS]}]
    if kind == "condition_fails":
        return [good | {"conditions": [NEVER]}]
    assert kind == "twice"
    return [good, good]


@dataclass
class Server:
    """One served database: its URL, its key, and which key posted each journal id."""

    base: str
    admin_dsn: str
    token: str
    journals: dict[str, str] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def metric(self, name: str) -> float:
        """A sample of /metrics, named with its labels as the exposition writes them."""
        request = urllib.request.Request(f"{self.base}/metrics")
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        found = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.MULTILINE)
        return float(found.group(1)) if found else 0.0

    def batches(self, operation: str = "transfers") -> tuple[float, float]:
        """(transactions of the coalescer, requests they ran) so far, of one operation."""
        label = f'{{operation="{operation}"}}'
        count = self.metric(f"ledger_coalesce_batch_size_count{label}")
        return count, self.metric(f"ledger_coalesce_batch_size_sum{label}")


Answer = tuple[int, str]  # status, the body normalised (journal ids named by their key)


async def post(session: aiohttp.ClientSession, server: Server, body: Any) -> Answer:
    async with session.post(
        f"{server.base}/api/transfers", json=body, headers=server.headers()
    ) as response:
        status = response.status
        document = await response.json(content_type=None)
    if status == 201:
        server.journals[document["journal_id"]] = body["idempotency_key"]
    document.pop("created_at", None)
    return status, normalised(server, json.dumps(document, sort_keys=True))


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.0-9]*\+00")


def normalised(server: Server, text: str) -> str:
    """A journal id is a fresh UUID on each database: named by the key that posted it (one
    never written, as in DX009's DETAIL: `new`); a creation time is the database's clock."""
    text = UUID.sub(lambda found: server.journals.get(found.group(0), "new"), text)
    return TIMESTAMP.sub("<time>", text)


def by_key(bodies: list[Any], answers: list[Answer]) -> dict[str, list[Answer]]:
    grouped: dict[str, list[Answer]] = {}
    for body, answer in zip(bodies, answers, strict=True):
        grouped.setdefault(str(body.get("idempotency_key")), []).append(answer)
    return {key: sorted(found) for key, found in grouped.items()}


async def alone(server: Server, bodies: list[Any]) -> list[Answer]:
    async with aiohttp.ClientSession() as session:
        return [await post(session, server, body) for body in bodies]


async def in_one_window(server: Server, bodies: list[Any], leader: str) -> list[Answer]:
    """Post the WINDOW `bodies` concurrently while a leader transfer of the same key is in
    flight (it waits on its key's lock): they queue, and leave as one batch when the WINDOW-th
    arrives; the leader is let go once they are all answered."""
    assert len(bodies) == WINDOW
    lead_body = {"idempotency_key": leader, "legs": legs("1001-CASH", "4001-SALES", "1.00")}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        with psycopg.connect(server.admin_dsn, autocommit=True) as holder:
            holder.execute(IDEMPOTENCY_LOCK, (f"default/{leader}",))
            lead = asyncio.create_task(post(session, server, lead_body))
            await wait_for_lock_waiter(server.admin_dsn)
            answers = await asyncio.gather(*(post(session, server, body) for body in bodies))
        assert (await lead)[0] == 201  # the lock went with the holder's session
    return list(answers)


def prepare(server: Server) -> None:
    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            for account in ACCOUNTS:
                body = account | {"name": f"account {account['code']}"}
                async with session.post(
                    f"{server.base}/api/accounts", json=body, headers=server.headers()
                ) as response:
                    assert response.status == 201, await response.text()
            for key, body in ORIGINALS.items():
                assert (await post(session, server, {"idempotency_key": key} | body))[0] == 201

    asyncio.run(run())


S = TypeVar("S", bound=Server)


@contextmanager
def on_and_off(
    pg_cluster: TestCluster,
    admin_dsn: str,
    service_dsn: str,
    tmp_path: Path,
    window: int,
    served: Callable[[str, str, str], S],
    prepare: Callable[[S], None],
) -> Iterator[tuple[S, S]]:
    """(a coalescing server with max_batch `window`, a server with DOUBLEX_COALESCE=off),
    each on its own database, made by `served` (base URL, admin DSN, key token) and
    prepared alike; the books of both are checked when done."""
    other = pg_cluster.create_database()
    other_admin = pg_cluster.admin_dsn(other)
    other_service = pg_cluster.cluster.dsn(other, user=SERVICE_ROLE)
    try:
        with (
            doublex_serve(
                service_dsn,
                tmp_path / "on.log",
                **SERVE_ENV,
                DOUBLEX_COALESCE_MAX_BATCH=str(window),
            ) as on_base,
            doublex_serve(
                other_service, tmp_path / "off.log", **(SERVE_ENV | {"DOUBLEX_COALESCE": "off"})
            ) as off_base,
        ):
            on = served(on_base, admin_dsn, create_key(admin_dsn)["token"])
            off = served(off_base, other_admin, create_key(other_admin)["token"])
            prepare(on)
            prepare(off)
            yield on, off
            assert_ledger_invariants(admin_dsn)
            assert_ledger_invariants(other_admin)
    finally:
        pg_cluster.drop_database(other)


@pytest.fixture
def servers(
    pg_cluster: TestCluster, database: str, admin_dsn: str, service_dsn: str, tmp_path: Path
) -> Iterator[tuple[Server, Server]]:
    """(coalescing, one transaction per request), each on its own database, prepared alike."""
    with on_and_off(pg_cluster, admin_dsn, service_dsn, tmp_path, WINDOW, Server, prepare) as both:
        yield both


KEYS = itertools.count()


def compare(on: Server, off: Server, mix: list[tuple[str, int]]) -> list[Answer]:
    """Post `mix` in one window on `on` and one by one on `off`: the same answers (those
    of `on`)."""
    run = next(KEYS)
    bodies = [
        body
        for n, (kind, amount) in enumerate(mix)
        for body in body_of(kind, f"k{run}-{n}", amount)
    ]
    pads = range(WINDOW - len(bodies))  # good requests fill the window
    bodies += [body_of("good", f"k{run}-pad-{n}", n + 1)[0] for n in pads]
    before = on.batches()
    coalesced = asyncio.run(in_one_window(on, bodies, f"lead-{run}"))
    one_by_one = asyncio.run(alone(off, bodies))
    assert by_key(bodies, coalesced) == by_key(bodies, one_by_one), mix
    # Not vacuous: the leader went alone, then the whole window as one batch.
    after = on.batches()
    assert (after[0] - before[0], after[1] - before[1]) == (2, WINDOW + 1), mix
    return coalesced


def test_a_mixed_window_answers_each_request_as_alone(servers: tuple[Server, Server]) -> None:
    on, off = servers
    mix = [(kind, n + 5) for n, kind in enumerate(KINDS)] + [("good", 40), ("replay", 41)]
    answers = compare(on, off, mix)
    # Every kind of answer was there: posted, duplicate, and the ledger's refusals.
    codes = {json.loads(body).get("code") for status, body in answers if status >= 400}
    assert {status for status, _ in answers} >= {200, 201, 409, 422}
    assert codes >= {"DX006", "DX009", "DX010", "DX011", "DX057"}, codes


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    mix=st.lists(
        st.tuples(st.sampled_from(KINDS), st.integers(min_value=1, max_value=99)),
        min_size=2,
        max_size=WINDOW // 2,  # `twice` is two requests
    )
)
def test_generated_windows_answer_each_request_as_alone(
    servers: tuple[Server, Server], mix: list[tuple[str, int]]
) -> None:
    on, off = servers
    compare(on, off, mix)


# -- in process --------------------------------------------------------------------------------


@asynccontextmanager
async def opened(ledger: Ledger, settings: CoalesceSettings) -> AsyncIterator[Any]:
    """The service on `ledger`, coalescing as `settings` say, with 1001-CASH and 4001-SALES
    open."""
    async with api(ledger, coalesce=settings) as client:
        await open_account(client, "1001-CASH")
        await open_account(client, "4001-SALES", type="income")
        yield client


@pytest.fixture
async def coalescing(ledger: Ledger) -> AsyncIterator[Any]:
    async with opened(ledger, CoalesceSettings(max_batch=5, max_wait_ms=60000)) as client:
        yield client


async def posted(client: Any, key: str, amount: str = "1.00", status: int = 201) -> Any:
    body = {"idempotency_key": key, "legs": legs("1001-CASH", "4001-SALES", amount)}
    return await ok(await client.post("/api/transfers", json=body), status)


def batches(operation: str = "transfers") -> tuple[int, int, int]:
    """(batches, batches of one, requests in them) of one operation observed so far by this
    process."""

    def value(suffix: str, **labels: str) -> int:
        labels["operation"] = operation
        return int(REGISTRY.get_sample_value(f"ledger_coalesce_batch_size{suffix}", labels) or 0)

    return value("_count"), value("_bucket", le="1.0"), value("_sum")


def since(before: tuple[int, int, int], operation: str = "transfers") -> tuple[int, int, int]:
    now = batches(operation)
    return now[0] - before[0], now[1] - before[1], now[2] - before[2]


async def test_a_lone_request_goes_at_once_and_a_queue_leaves_as_one_batch(
    coalescing: Any, admin_dsn: str
) -> None:
    """Nothing in flight: a transfer is posted alone (a batch of one, no wait); behind a
    posting in flight, the next ones queue and leave together, at most max_batch at once
    (the one over waits for the next posting of its key to end)."""
    before = batches()
    await posted(coalescing, "lone")
    assert since(before) == (1, 1, 1)
    before = batches()
    with psycopg.connect(admin_dsn, autocommit=True) as holder:
        holder.execute(IDEMPOTENCY_LOCK, ("default/lead",))
        lead = asyncio.create_task(posted(coalescing, "lead"))
        await wait_for_lock_waiter(admin_dsn)
        # max_batch: the fifth fills the queue, which leaves at once; the sixth goes when
        # that batch ends; the leader still waits.
        answers = await asyncio.gather(*(posted(coalescing, f"q-{n}") for n in range(6)))
    await lead
    assert [answer["status"] for answer in answers] == ["posted"] * 6
    assert since(before) == (3, 2, 7)  # the leader alone, five in one batch, the sixth alone
    # Replays of a batch's postings are duplicates of the same journals, alone or not.
    again = await posted(coalescing, "q-0", status=200)
    assert again["status"] == "duplicate"
    balance = await ok(await coalescing.get("/api/accounts/1001-CASH/balance"))
    assert balance["balance"] == "8.00"
    assert_ledger_invariants(admin_dsn)


async def test_a_batch_whose_connection_breaks_answers_outcome_unknown_to_every_member(
    coalescing: Any, admin_dsn: str
) -> None:
    """The batch's connection is terminated while it waits (its COMMIT went with the call, so
    it may have committed): every member answers 503 outcome_unknown, as it would alone,
    and is never posted again behind its client's back; the replays post each once."""
    keys = ["held", "u-1", "u-2", "u-3", "u-4"]
    with psycopg.connect(admin_dsn, autocommit=True) as holder:
        lead, members = await behind_a_leader(coalescing, admin_dsn, holder, *keys, held="held")
        await wait_for_lock_waiter(admin_dsn, 2)
        holder.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND query LIKE '%ledger.post_journals%'"
        )
        answers = await asyncio.gather(*members)
    for answer in answers:
        await problem(answer, 503, "outcome_unknown")
    await ok(await lead, 201)
    for key in keys:
        assert (await posted(coalescing, key))["status"] == "posted"
    assert_ledger_invariants(admin_dsn)


async def test_a_batch_aborted_whole_still_answers_every_member(
    ledger: Ledger, admin_dsn: str, database: str
) -> None:
    """A member waits on a lock past the service's lock_timeout: the whole batch fails
    (55P03), so every member is posted alone: its neighbours are posted, and it gets the
    answer it gets alone (503 deadline_exceeded), never posted."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f"ALTER ROLE {SERVICE_ROLE} IN DATABASE {database} SET lock_timeout = '400ms'")
    settings = CoalesceSettings(max_batch=4, max_wait_ms=5000)
    async with api(ledger, coalesce=settings) as client:
        await open_account(client, "1001-CASH")
        await open_account(client, "4001-SALES", type="income")
        before = batches()
        with psycopg.connect(admin_dsn, autocommit=True) as holder:
            keys = ["blocked", "n-1", "n-2", "n-3"]  # max_batch: they leave at once
            lead, members = await behind_a_leader(client, admin_dsn, holder, *keys, held="blocked")
            answers = await asyncio.gather(*members)
            await problem(await lead, 503, "deadline_exceeded")
        await problem(answers[0], 503, "deadline_exceeded")
        for answer in answers[1:]:
            assert (await ok(answer, 201))["status"] == "posted"
        assert since(before) == (2, 1, 5)  # the leader alone, then the four in one batch
        # The blocked one was never posted; its neighbours were, once.
        assert (await posted(client, "blocked"))["status"] == "posted"
        assert (await posted(client, "n-1", status=200))["status"] == "duplicate"
    assert_ledger_invariants(admin_dsn)


def _body(key: str) -> dict[str, Any]:
    return {"idempotency_key": key, "legs": legs("1001-CASH", "4001-SALES", "1.00")}


Sent = asyncio.Task[Any]


async def behind_a_leader(
    client: Any, admin_dsn: str, holder: psycopg.Connection[Any], *keys: str, held: str = ""
) -> tuple[Sent, list[Sent]]:
    """`holder` takes the lock of the key `lead` (and of `held`); the leader `lead` is sent
    and waits on it, alone, in flight; then `keys` are sent behind it, concurrently. The
    leader's and their requests."""
    for key in ("lead", held) if held else ("lead",):
        holder.execute(IDEMPOTENCY_LOCK, (f"default/{key}",))
    lead = asyncio.create_task(client.post("/api/transfers", json=_body("lead")))
    await wait_for_lock_waiter(admin_dsn)
    return lead, [
        asyncio.create_task(client.post("/api/transfers", json=_body(key))) for key in keys
    ]


async def test_a_request_whose_deadline_strikes_while_queued_is_never_posted(
    ledger: Ledger, admin_dsn: str
) -> None:
    """Queued behind a batch that waits on a lock, a request runs out of its deadline: 503,
    it leaves the queue, and its key stays free. The batch's members, whose requests ran
    out too, are posted when the lock goes (a write may commit after its deadline: the
    hint says to replay it) and their replays are duplicates."""
    settings = CoalesceSettings(max_batch=2, max_wait_ms=5000)
    async with api(ledger, coalesce=settings, request_deadline=0.5) as client:
        await open_account(client, "1001-CASH")
        await open_account(client, "4001-SALES", type="income")
        with psycopg.connect(admin_dsn, autocommit=True) as holder:
            lead, batch = await behind_a_leader(client, admin_dsn, holder, "b-1", "b-2", held="b-1")
            await problem(await lead, 503, "deadline_exceeded")
            late = await client.post("/api/transfers", json=_body("late"))
            await problem(late, 503, "deadline_exceeded")
            for answer in await asyncio.gather(*batch):
                await problem(answer, 503, "deadline_exceeded")
            holder.execute(
                "SELECT pg_advisory_unlock(hashtext('doublex.idempotency'), hashtext(%s))",
                ("default/b-1",),
            )
            # The batch commits once the lock is free.
            for attempt in range(50):  # noqa: B007
                replay = await client.post("/api/transfers", json=_body("b-2"))
                if replay.status == 200:
                    break
                await asyncio.sleep(0.1)
            assert (await ok(replay, 200))["status"] == "duplicate", attempt
        assert (await posted(client, "late"))["status"] == "posted"
        assert (await posted(client, "b-1", status=200))["status"] == "duplicate"
    assert_ledger_invariants(admin_dsn)


@pytest.fixture(scope="module")
def span_exporter() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    assert tracing.configure(exporter)
    return exporter


async def test_two_keys_never_share_a_batch_and_spans_link_requests_to_batches(
    ledger: Ledger, admin_dsn: str, span_exporter: InMemorySpanExporter
) -> None:
    """Transfers of two API keys in one window: one batch per key (a transaction acts as one
    key); each queued request's span links to its batch's span and back."""
    tokens = [create_key(admin_dsn, name=f"k{n}")["token"] for n in (1, 2)]
    settings = CoalesceSettings(max_batch=3, max_wait_ms=60000)
    async with api(ledger, key=tokens[0], coalesce=settings) as client:
        await open_account(client, "1001-CASH")
        await open_account(client, "4001-SALES", type="income")
        span_exporter.clear()
        before = batches()

        def send(key: str, token: str) -> Any:
            auth = {"Authorization": f"Bearer {token}"}
            return client.post("/api/transfers", json=_body(key), headers=auth)

        with psycopg.connect(admin_dsn, autocommit=True) as holder:
            for key in ("lead-1", "lead-2"):
                holder.execute(IDEMPOTENCY_LOCK, (f"default/{key}",))
            leads = [
                asyncio.create_task(send(f"lead-{n}", token)) for n, token in enumerate(tokens, 1)
            ]
            await wait_for_lock_waiter(admin_dsn, 2)
            # Interleaved, in one window: each key's queue fills to max_batch and leaves.
            queued = await asyncio.gather(
                *(send(f"t{n}-{m}", token) for m in range(3) for n, token in enumerate(tokens, 1))
            )
        for response in [*queued, *await asyncio.gather(*leads)]:
            await ok(response, 201)
    assert since(before) == (4, 2, 8)  # two leaders alone, then a batch of three per key
    spans = span_exporter.get_finished_spans()
    batch_spans = {
        span.context.span_id: span
        for span in spans
        if span.name == "post_journals" and span.attributes.get("doublex.coalesced")
    }
    assert len(batch_spans) == 2
    principals = {span.attributes["doublex.principal"] for span in batch_spans.values()}
    assert principals == {f"key:{token.partition('.')[0]}" for token in tokens}
    members = [span for span in spans if span.name == "coalesce"]
    assert len(members) == 6
    for member in members:
        (link,) = member.links
        batch = batch_spans[link.context.span_id]
        assert member.context.span_id in {back.context.span_id for back in batch.links}
        assert member.attributes["doublex.status"] == "posted"
        assert member.attributes["doublex.batch_size"] == 3


async def test_a_batch_retried_after_a_serialization_failure_keeps_each_answer(
    coalescing: Any, admin_dsn: str, app_dsn: str
) -> None:
    """A batch member's key is being posted by another transaction: the batch waits on its
    lock and fails with 40001 when that commits; the runner posts the batch again as a
    whole, and the member answers the other's journal as a duplicate, its neighbours
    posted once."""
    retries = REGISTRY.get_sample_value("ledger_serialization_retries_total", {"sqlstate": "40001"})
    contended = legs("1001-CASH", "4001-SALES", "4.00")
    holder = await hold_key(app_dsn, "contended", contended)
    try:
        before = batches()
        with psycopg.connect(admin_dsn, autocommit=True) as lock:
            lock.execute(IDEMPOTENCY_LOCK, ("default/lead",))
            lead = asyncio.create_task(posted(coalescing, "lead"))
            await wait_for_lock_waiter(admin_dsn)
            body = {"idempotency_key": "contended", "legs": contended}
            members = [asyncio.create_task(coalescing.post("/api/transfers", json=body))]
            members += [
                asyncio.create_task(coalescing.post("/api/transfers", json=_body(f"r-{n}")))
                for n in range(4)
            ]
            await wait_for_lock_waiter(admin_dsn, 2)  # the batch waits on "contended"
            await holder.commit()
            answers = await asyncio.gather(*members)
        await lead
    finally:
        await holder.close()
    replay = await ok(answers[0], 200)
    alone = await ok(await coalescing.post("/api/transfers", json=body), 200)
    assert (replay["status"], replay["journal_id"]) == ("duplicate", alone["journal_id"])
    for answer in answers[1:]:
        assert (await ok(answer, 201))["status"] == "posted"
    # The leader alone, the five in one batch, then the replay just above alone.
    assert since(before) == (3, 2, 7)
    after = REGISTRY.get_sample_value("ledger_serialization_retries_total", {"sqlstate": "40001"})
    assert (after or 0) - (retries or 0) >= 1
    balance = await ok(await coalescing.get("/api/accounts/1001-CASH/balance"))
    assert balance["balance"] == "9.00"  # 4.00 once, four of 1.00, the leader's 1.00
    assert_ledger_invariants(admin_dsn)
