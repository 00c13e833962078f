"""Request coalescing of reversals, holds and captures (doublex.db.coalesce, operations
REVERSALS, HOLDS, CAPTURES), end to end: every request of a window gets exactly the answer
it gets alone.

As for transfers (test_coalesce.py), the mixes run on two real `doublex serve` processes
over two databases prepared alike: one coalescing, each operation's window held open by a
leader request of that operation (it waits on a lock) so that the whole mix queues and each
operation's lane leaves as one batch, which /metrics must show per operation; the other
with DOUBLEX_COALESCE=off, which sends the same requests one after another. Answers are
compared per target (a journal reversed, a hold created or captured): requests on one
target may swap which is first inside a window, so the answers of a target are compared as
a sorted list, ids named by their target. A capture racing a void has two right outcomes:
exactly one wins, and the hold says which. The in-process tests cover a batch aborted whole
(lock timeout) and a batch retried whole after a serialization failure."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
from aiohttp import ClientResponse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from doublex.config import SERVICE_ROLE, CoalesceSettings
from doublex.db import Ledger
from support.cluster import TestCluster
from support.http import legs, ok, problem, wait_for_lock_waiter
from support.invariants import assert_ledger_invariants
from test_coalesce import (
    IDEMPOTENCY_LOCK,
    TIMESTAMP,
    UUID,
    Server,
    batches,
    on_and_off,
    opened,
    since,
)

WINDOW = 10  # DOUBLEX_COALESCE_MAX_BATCH of the coalescing server; each lane is padded to it
UNKNOWN = "01900000-0000-7000-8000-000000000000"  # no journal, no hold
ACCOUNTS: list[dict[str, Any]] = [
    {"code": "1001-CASH", "ccy": "EUR", "type": "asset"},
    {"code": "4001-SALES", "ccy": "EUR", "type": "income"},
    {"code": "2001-WALLET", "ccy": "EUR", "type": "liability", "allow_negative": False},
]
SALE = legs("1001-CASH", "4001-SALES", "10.00")
KEY_ID = re.compile(r"dxk_[0-9a-f]+")

# The kinds of request of each operation (`twice`: the same request two times; `double`:
# two requests on one target under two keys).
KINDS = {
    "reversals": ("good", "replay", "conflict", "reversed", "of_reversal", "unknown", "twice",
                  "double"),
    "holds": ("good", "replay", "conflict", "unknown_account", "overdraft", "unbalanced",
              "expired", "twice"),
    "captures": ("good", "partial", "replay", "conflict", "voided", "unknown", "bad_amounts",
                 "twice", "double"),
}  # fmt: skip
PATHS = {
    "reversals": "/api/journals/{}/reverse",
    "holds": "/api/holds",
    "captures": "/api/holds/{}/capture",
}


@dataclass(frozen=True)
class Request:
    """One request of a mix: its operation, its target's name (the journal reversed, the
    hold created or captured: its answers are compared together) and its body."""

    operation: str
    target: str
    body: dict[str, Any]


@dataclass
class Served(Server):
    """A served database, with the id of every journal and hold the test named."""

    ids: dict[str, str] = field(default_factory=dict)  # name → id
    names: dict[str, str] = field(default_factory=dict)  # id → name

    def name(self, name: str, id_: str) -> None:
        self.ids[name], self.names[id_] = id_, name

    async def send(
        self, session: aiohttp.ClientSession, request: Request
    ) -> tuple[int, dict[str, Any]]:
        path = PATHS[request.operation].format(self.ids.get(request.target, UNKNOWN))
        async with session.post(
            f"{self.base}{path}", json=request.body, headers=self.headers()
        ) as response:
            return response.status, await response.json(content_type=None)

    async def setup(self, session: aiohttp.ClientSession, path: str, body: Any) -> Any:
        async with session.post(f"{self.base}{path}", json=body, headers=self.headers()) as sent:
            assert sent.status in (200, 201), await sent.text()
            return await sent.json()


Answer = tuple[int, str]


def normalised(server: Served, requests: list[Request], sent: list[Any]) -> list[Answer]:
    """Each answer with ids named by their target (an id never named: `new`), times and key
    ids blanked; the ids a first answer made are named first, whichever came back first."""
    for request, (status, document) in zip(requests, sent, strict=True):
        if status == 201:
            made = document.get("journal_id") or document["hold_id"]
            kind = "hold" if request.operation == "holds" else request.operation
            server.name(f"{request.target}:{kind}", str(made))
    answers = []
    for status, document in sent:
        document = {k: v for k, v in document.items() if k not in ("created_at", "resolved_at")}
        text = json.dumps(document, sort_keys=True)
        text = UUID.sub(lambda found: server.names.get(found.group(0), "new"), text)
        answers.append((status, KEY_ID.sub("<key>", TIMESTAMP.sub("<time>", text))))
    return answers


def by_target(requests: list[Request], answers: list[Answer]) -> dict[str, list[Answer]]:
    grouped: dict[str, list[Answer]] = {}
    for request, answer in zip(requests, answers, strict=True):
        grouped.setdefault(request.target, []).append(answer)
    return {target: sorted(found) for target, found in grouped.items()}


RUNS = itertools.count()


class Mix:
    """The requests of one window, named for run `run`, and what they need done first."""

    def __init__(self, run: int) -> None:
        self.run = run
        self.names = itertools.count()
        self.requests: list[Request] = []
        self.to_post: list[str] = []  # posted first
        self.to_hold: list[str] = []  # created first
        self.first: list[Request] = []  # sent (and answered) first, after those

    def fresh(self, prefix: str) -> str:
        return f"{prefix}{self.run}-{next(self.names)}"

    def add(self, operation: str, kind: str) -> None:
        getattr(self, operation)(kind)

    def reversals(self, kind: str) -> None:
        target = UNKNOWN if kind == "unknown" else self.fresh("j")
        if kind != "unknown":
            self.to_post.append(target)
        key = self.fresh("rk")
        request = Request("reversals", target, {"idempotency_key": key, "memo": "undo"})
        if kind in ("replay", "conflict", "reversed", "of_reversal"):
            self.first.append(request)
        if kind == "conflict":
            request = Request("reversals", target, request.body | {"memo": "changed"})
        elif kind == "reversed":
            request = Request("reversals", target, {"idempotency_key": self.fresh("rk")})
        elif kind == "of_reversal":
            request = Request("reversals", f"{target}:reversals", {"idempotency_key": key + "r"})
        self.requests.append(request)
        if kind == "twice":
            self.requests.append(request)
        elif kind == "double":
            self.requests.append(Request("reversals", target, {"idempotency_key": key + "b"}))

    def holds(self, kind: str) -> None:
        key = self.fresh("hk")
        body: dict[str, Any] = {"idempotency_key": key, "legs": SALE, "memo": "auth"}
        if kind in ("replay", "conflict"):
            self.first.append(Request("holds", key, body))
        if kind == "conflict":
            body = body | {"legs": legs("1001-CASH", "4001-SALES", "11.00")}
        elif kind == "unknown_account":
            body = body | {"legs": legs("1001-CASH", "9999-NOPE", "1.00")}
        elif kind == "overdraft":
            body = body | {"legs": legs("2001-WALLET", "4001-SALES", "1000.00")}
        elif kind == "unbalanced":
            body = body | {"legs": [SALE[0], SALE[1] | {"amount": "11.00"}]}
        elif kind == "expired":
            body = body | {"expires_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}
        self.requests += [Request("holds", key, body)] * (2 if kind == "twice" else 1)

    def captures(self, kind: str) -> None:
        target = UNKNOWN if kind == "unknown" else self.fresh("h")
        if kind != "unknown":
            self.to_hold.append(target)
        key = self.fresh("ck")
        body: dict[str, Any] = {"idempotency_key": key}
        if kind in ("replay", "conflict"):
            self.first.append(Request("captures", target, body))
        if kind == "voided":
            self.first.append(Request("voids", target, {"idempotency_key": key + "v"}))
        if kind in ("partial", "conflict"):
            body = body | {"amounts": ["4.00", "4.00"]}
        elif kind == "bad_amounts":
            body = body | {"amounts": ["11.00", "11.00"]}
        self.requests += [Request("captures", target, body)] * (2 if kind == "twice" else 1)
        if kind == "double":
            self.requests.append(Request("captures", target, {"idempotency_key": key + "b"}))

    def padded(self) -> None:
        """Fill each operation's lane to WINDOW with good requests."""
        for operation in KINDS:
            while sum(r.operation == operation for r in self.requests) < WINDOW:
                self.add(operation, "good")
        for operation in KINDS:
            assert sum(r.operation == operation for r in self.requests) == WINDOW, self.requests


async def prepare_mix(server: Served, mix: Mix) -> None:
    """Post the mix's journals, create its holds, send its first requests (the same on
    each server, in the same order)."""
    async with aiohttp.ClientSession() as session:
        for name in mix.to_post:
            body = {"idempotency_key": name, "legs": SALE}
            server.name(name, (await server.setup(session, "/api/transfers", body))["journal_id"])
        for name in mix.to_hold:
            body = {"idempotency_key": name, "legs": SALE}
            server.name(name, (await server.setup(session, "/api/holds", body))["hold_id"])
        for request in mix.first:
            if request.operation == "voids":
                path = f"/api/holds/{server.ids[request.target]}/void"
                await server.setup(session, path, request.body)
                continue
            status, document = await server.send(session, request)
            assert status == 201, document
            normalised(server, [request], [(status, document)])


async def one_by_one(server: Served, requests: list[Request]) -> list[Answer]:
    async with aiohttp.ClientSession() as session:
        sent = [await server.send(session, request) for request in requests]
    return normalised(server, requests, sent)


async def leaders(server: Served, run: int) -> tuple[list[Request], list[str]]:
    """One request per operation that will wait on its key's lock (and the locks)."""
    async with aiohttp.ClientSession() as session:
        journal = f"lead-j{run}"
        body = {"idempotency_key": journal, "legs": SALE}
        server.name(journal, (await server.setup(session, "/api/transfers", body))["journal_id"])
        hold = f"lead-h{run}"
        body = {"idempotency_key": hold, "legs": SALE}
        server.name(hold, (await server.setup(session, "/api/holds", body))["hold_id"])
    requests = [
        Request("reversals", journal, {"idempotency_key": f"lead-r{run}"}),
        Request("holds", f"lead-n{run}", {"idempotency_key": f"lead-n{run}", "legs": SALE}),
        Request("captures", hold, {"idempotency_key": f"lead-c{run}"}),
    ]
    locks = [
        f"default/lead-r{run}",
        f"default/hold:lead-n{run}",
        f"default/hold-resolution:lead-c{run}",
    ]
    return requests, locks


async def in_one_window(
    server: Served, requests: list[Request], lead_requests: list[Request], locks: list[str]
) -> list[Answer]:
    """Send `requests` concurrently while one leader per operation is in flight, waiting on
    its key's lock: each operation's requests queue and leave as one batch when its lane
    holds WINDOW; the leaders are let go once every request is answered."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        with psycopg.connect(server.admin_dsn, autocommit=True) as holder:
            for lock in locks:
                holder.execute(IDEMPOTENCY_LOCK, (lock,))
            lead = [asyncio.create_task(server.send(session, r)) for r in lead_requests]
            await wait_for_lock_waiter(server.admin_dsn, len(locks))
            sent = await asyncio.gather(*(server.send(session, r) for r in requests))
        for status, document in await asyncio.gather(*lead):
            assert status == 201, document
    return normalised(server, requests, list(sent))


def prepare(server: Served) -> None:
    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            for account in ACCOUNTS:
                body = account | {"name": f"account {account['code']}"}
                await server.setup(session, "/api/accounts", body)
            fund = {"idempotency_key": "fund", "legs": legs("1001-CASH", "2001-WALLET", "100.00")}
            await server.setup(session, "/api/transfers", fund)

    asyncio.run(run())


@pytest.fixture
def served(
    pg_cluster: TestCluster, database: str, admin_dsn: str, service_dsn: str, tmp_path: Path
) -> Iterator[tuple[Served, Served]]:
    """(coalescing, one transaction per request), each on its own database, prepared alike."""
    with on_and_off(pg_cluster, admin_dsn, service_dsn, tmp_path, WINDOW, Served, prepare) as both:
        yield both


def compare(on: Served, off: Served, kinds: list[tuple[str, str]]) -> list[Answer]:
    """The mix of `kinds` in one window per operation on `on`, one by one on `off`: the
    same answers (those of `on`); on `on`, each operation's lane formed one batch."""
    mix = Mix(next(RUNS))
    for operation, kind in kinds:
        mix.add(operation, kind)
    mix.padded()
    asyncio.run(prepare_mix(on, mix))
    asyncio.run(prepare_mix(off, mix))
    lead_requests, locks = asyncio.run(leaders(on, mix.run))
    before = {operation: on.batches(operation) for operation in KINDS}
    coalesced = asyncio.run(in_one_window(on, mix.requests, lead_requests, locks))
    alone = asyncio.run(one_by_one(off, mix.requests))
    assert by_target(mix.requests, coalesced) == by_target(mix.requests, alone), kinds
    for operation in KINDS:  # not vacuous: the leader alone, then the whole lane as one batch
        after = on.batches(operation)
        assert (after[0] - before[operation][0], after[1] - before[operation][1]) == (
            2,
            WINDOW + 1,
        ), (operation, kinds)
    return coalesced


def test_a_mixed_window_of_reversals_holds_and_captures_answers_each_as_alone(
    served: tuple[Served, Served],
) -> None:
    on, off = served
    kinds = [(operation, kind) for operation, found in KINDS.items() for kind in found[1:]]
    kinds = [k for k in kinds if k[1] not in ("twice", "double")]
    kinds += [("reversals", "twice"), ("captures", "double"), ("captures", "twice")]
    kinds += [("holds", "twice")]
    answers = compare(on, off, kinds[:])
    codes = {json.loads(body).get("code") for status, body in answers if status >= 400}
    assert {status for status, _ in answers} >= {200, 201, 404, 409, 422}
    expected = {"DX006", "DX009", "DX010", "DX011", "DX013", "DX014", "DX022", "DX049", "DX050"}
    assert codes >= expected | {"DX051", "DX053", "DX055"}, (codes, answers)


def lane(operation: str) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Up to half a window of one operation's kinds (a kind is at most two requests)."""
    kind = st.sampled_from(KINDS[operation]).map(lambda found: (operation, found))
    return st.lists(kind, max_size=WINDOW // 2)


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(reversals=lane("reversals"), holds=lane("holds"), captures=lane("captures"))
def test_generated_windows_of_reversals_holds_and_captures_answer_each_as_alone(
    served: tuple[Served, Served],
    reversals: list[tuple[str, str]],
    holds: list[tuple[str, str]],
    captures: list[tuple[str, str]],
) -> None:
    on, off = served
    # Interleaved, so that the operations' requests arrive mixed.
    mixed = [k for trio in itertools.zip_longest(reversals, holds, captures) for k in trio if k]
    compare(on, off, mixed)


# -- in process --------------------------------------------------------------------------------


async def new_hold(client: Any, key: str) -> str:
    body = {"idempotency_key": key, "legs": legs("1001-CASH", "4001-SALES", "10.00")}
    return str((await ok(await client.post("/api/holds", json=body), 201))["hold_id"])


async def test_a_capture_racing_a_void_has_one_winner_and_the_hold_says_which(
    ledger: Ledger, admin_dsn: str
) -> None:
    """Captures of four holds leave as one batch (max_batch 4, behind a leader capture in
    flight) while voids of the same holds go alone beside them: on each hold exactly one
    wins (captured 201 and the void DX050, or voided 200 and the capture DX051), and the
    hold's status is the winner's."""
    async with opened(ledger, CoalesceSettings(max_batch=4, max_wait_ms=60000)) as client:
        holds = [await new_hold(client, f"race-{n}") for n in range(4)]
        lead_hold = await new_hold(client, "race-lead")
        before = batches("captures")
        with psycopg.connect(admin_dsn, autocommit=True) as holder:
            holder.execute(IDEMPOTENCY_LOCK, ("default/hold-resolution:lead",))
            body = {"idempotency_key": "lead"}
            lead = asyncio.create_task(client.post(f"/api/holds/{lead_hold}/capture", json=body))
            await wait_for_lock_waiter(admin_dsn)

            async def race(n: int, hold: str) -> tuple[ClientResponse, ClientResponse]:
                capture = client.post(
                    f"/api/holds/{hold}/capture", json={"idempotency_key": f"c{n}"}
                )
                void = client.post(f"/api/holds/{hold}/void", json={"idempotency_key": f"v{n}"})
                return await asyncio.gather(capture, void)

            pairs = await asyncio.gather(*(race(n, hold) for n, hold in enumerate(holds)))
        await ok(await lead, 201)
        for hold, (capture, void) in zip(holds, pairs, strict=True):
            state = (await ok(await client.get(f"/api/holds/{hold}")))["status"]
            if capture.status == 201:
                assert (await ok(capture, 201))["status"] == "captured"
                await problem(void, 409, "DX050")
                assert state == "captured"
            else:
                await problem(capture, 409, "DX051")
                assert (await ok(void, 200))["status"] == "voided"
                assert state == "voided"
        # The leader alone, then the four captures as one batch.
        assert since(before, "captures")[0] == 2
    assert_ledger_invariants(admin_dsn)


async def test_a_hold_batch_aborted_whole_still_answers_every_member(
    ledger: Ledger, admin_dsn: str, database: str
) -> None:
    """A member waits on its key's lock past the service's lock_timeout: the whole batch of
    holds fails (55P03), so every member is sent alone: its neighbours are created once,
    and it gets the answer it gets alone (503 deadline_exceeded), never created."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f"ALTER ROLE {SERVICE_ROLE} IN DATABASE {database} SET lock_timeout = '400ms'")
    async with opened(ledger, CoalesceSettings(max_batch=4, max_wait_ms=5000)) as client:

        def create(key: str) -> Any:
            body = {"idempotency_key": key, "legs": legs("1001-CASH", "4001-SALES", "1.00")}
            return asyncio.create_task(client.post("/api/holds", json=body))

        before = batches("holds")
        with psycopg.connect(admin_dsn, autocommit=True) as holder:
            for key in ("lead", "blocked"):
                holder.execute(IDEMPOTENCY_LOCK, (f"default/hold:{key}",))
            lead = create("lead")
            await wait_for_lock_waiter(admin_dsn)
            members = [create(key) for key in ("blocked", "n-1", "n-2", "n-3")]
            answers = await asyncio.gather(*members)
            await problem(await lead, 503, "deadline_exceeded")
        await problem(answers[0], 503, "deadline_exceeded")
        for answer in answers[1:]:
            assert (await ok(answer, 201))["status"] == "pending"
        assert since(before, "holds") == (2, 1, 5)  # the leader alone, the four in one batch
        assert (await ok(await create("blocked"), 201))["status"] == "pending"
        assert (await ok(await create("n-1"), 200))["status"] == "duplicate"
    assert_ledger_invariants(admin_dsn)


async def test_a_capture_batch_retried_after_a_serialization_failure_keeps_each_answer(
    ledger: Ledger, admin_dsn: str, app_dsn: str
) -> None:
    """A batch member's capture is being made by another transaction under the same key: the
    batch waits on the key's lock and fails with 40001 when that commits; the runner sends
    the batch again as a whole, and the member answers the other's capture as a duplicate,
    its neighbours captured once."""
    async with opened(ledger, CoalesceSettings(max_batch=5, max_wait_ms=60000)) as coalescing:
        holds = [await new_hold(coalescing, f"h-{n}") for n in range(5)]
        lead_hold = await new_hold(coalescing, "h-lead")
        retries = REGISTRY.get_sample_value(
            "ledger_serialization_retries_total", {"sqlstate": "40001"}
        )
        holder = await psycopg.AsyncConnection.connect(app_dsn)
        try:
            await holder.execute(
                "SELECT * FROM ledger.capture_hold(hold_id => %s, idempotency_key => 'contended')",
                (holds[0],),
            )
            before = batches("captures")
            with psycopg.connect(admin_dsn, autocommit=True) as lock:
                lock.execute(IDEMPOTENCY_LOCK, ("default/hold-resolution:lead",))
                lead = asyncio.create_task(
                    coalescing.post(
                        f"/api/holds/{lead_hold}/capture", json={"idempotency_key": "lead"}
                    )
                )
                await wait_for_lock_waiter(admin_dsn)
                keys = ["contended", "k-1", "k-2", "k-3", "k-4"]
                members = [
                    asyncio.create_task(
                        coalescing.post(f"/api/holds/{hold}/capture", json={"idempotency_key": key})
                    )
                    for hold, key in zip(holds, keys, strict=True)
                ]
                await wait_for_lock_waiter(admin_dsn, 2)  # the batch waits on "contended"
                await holder.commit()
                answers = await asyncio.gather(*members)
            await ok(await lead, 201)
        finally:
            await holder.close()
        replay = await ok(answers[0], 200)
        body = {"idempotency_key": "contended"}
        again = await ok(await coalescing.post(f"/api/holds/{holds[0]}/capture", json=body), 200)
        assert (replay["status"], replay["journal_id"]) == ("duplicate", again["journal_id"])
        for answer in answers[1:]:
            assert (await ok(answer, 201))["status"] == "captured"
        # The leader alone, the five in one batch, then the replay just above alone.
        assert since(before, "captures") == (3, 2, 7)
        after = REGISTRY.get_sample_value(
            "ledger_serialization_retries_total", {"sqlstate": "40001"}
        )
        assert (after or 0) - (retries or 0) >= 1
        assert_ledger_invariants(admin_dsn)
