"""The event log (issue #18) with real transactions: events exist iff their change committed,
the late commit is never missed, positions strictly increase with no gap a reader sees
(Hypothesis), the REST page and the SSE stream of a real `doublex serve` (resumed with
Last-Event-ID), per-tenant isolation, the CLI, the sequencer's metrics."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doublex import config, errors, metrics, sequencer
from doublex.db import Ledger
from support.cluster import TestCluster
from support.events import read_events, sequence_all
from support.http import admin_connection, bearer, create_key
from support.serving import doublex_serve
from support.tenants import tenant_key
from test_cli_ledger import run

CASH_SALES = '[{"account": "%s", "side": "debit", "amount": "%s", "ccy": "EUR"}, ' \
    '{"account": "%s", "side": "credit", "amount": "%s", "ccy": "EUR"}]'  # fmt: skip


def pair(debit: str, credit: str, amount: str = "1.00") -> str:
    return CASH_SALES % (debit, amount, credit, amount)


def open_accounts(admin_dsn: str, *codes: str, tenant: str = "default") -> None:
    with admin_connection(admin_dsn) as conn:
        for code in codes:
            conn.execute(
                "SELECT ledger.create_account(%s, %s, 'EUR', tenant => %s)", (code, code, tenant)
            )


def post(conn: psycopg.Connection[Any], key: str, debit: str, credit: str) -> None:
    conn.execute("SELECT ledger.post_journal(%s, %s::jsonb)", (key, pair(debit, credit)))


def posted_keys(events: list[dict[str, Any]]) -> list[str]:
    return [e["payload"]["idempotency_key"] for e in events if e["type"] == "journal.posted"]


# -- the late commit ---------------------------------------------------------------------------


def test_a_late_commit_comes_after_what_the_reader_already_read(admin_dsn: str) -> None:
    """A transaction writes its events first and commits last: a reader that read every
    position the later commits got still receives the late events after them."""
    open_accounts(admin_dsn, "CASH", "SALES", "LATE-D", "LATE-C")
    sequence_all(admin_dsn)
    late = admin_connection(admin_dsn)
    try:
        post(late, "late", "LATE-D", "LATE-C")
        late.execute("SELECT ledger.create_account('LATE', 'late', 'EUR')")
        # The late events are in the queue now, uncommitted.
        late_txid = late.execute("SELECT txid_current()").fetchone()[0]  # type: ignore[index]
        # Later transactions (accounts: they conflict with no journal under SERIALIZABLE)
        # commit and are sequenced; the reader reads past them.
        for n in range(3):
            open_accounts(admin_dsn, f"EARLY-{n}")
            sequence_all(admin_dsn)
        seen = read_events(admin_dsn)
        read_up_to = seen[-1]["position"]
        assert [e["payload"]["code"] for e in seen[-3:]] == ["EARLY-0", "EARLY-1", "EARLY-2"]
        assert posted_keys(seen) == []
        late.commit()
    finally:
        late.close()
    assert sequence_all(admin_dsn) == 2
    after = read_events(admin_dsn, after=read_up_to)
    assert sorted(e["type"] for e in after) == ["account.created", "journal.posted"]
    assert posted_keys(after) == ["late"] and after[0]["position"] > read_up_to
    with psycopg.connect(admin_dsn) as conn:
        txids = dict(
            conn.execute(  # type: ignore[arg-type]
                "SELECT coalesce(p.payload ->> 'idempotency_key', p.payload ->> 'code'), e.txid"
                " FROM ledger_private.event AS e JOIN ledger_private.event_payloads("
                "ARRAY(SELECT position FROM ledger_private.event)) AS p"
                " ON p.event_position = e.position"
            ).fetchall()
        )
    # The late transaction began (and wrote) first: an id or txid order would have put it
    # before the positions the reader already had.
    assert txids["late"] == late_txid < min(txids[f"EARLY-{n}"] for n in range(3))


def test_rolled_back_and_refused_changes_leave_no_event(admin_dsn: str) -> None:
    open_accounts(admin_dsn, "CASH", "SALES")
    with admin_connection(admin_dsn) as conn:
        post(conn, "kept", "CASH", "SALES")
    doomed = admin_connection(admin_dsn)
    post(doomed, "doomed", "CASH", "SALES")
    doomed.rollback()
    doomed.close()
    with admin_connection(admin_dsn) as conn, pytest.raises(psycopg.Error):
        post(conn, "frozen-bad", "CASH", "NOWHERE")
    sequence_all(admin_dsn)
    events = read_events(admin_dsn)
    assert posted_keys(events) == ["kept"]
    assert [e["payload"]["code"] for e in events if e["type"] == "account.created"] == [
        "CASH", "SALES"]  # fmt: skip
    assert len({e["event_id"] for e in events}) == len(events)


# -- Hypothesis: interleaved writers ------------------------------------------------------------

# A writer: (commit or roll back, when its write happens, when it finishes), as step indexes.
WRITERS = st.lists(st.booleans(), min_size=1, max_size=5)


@st.composite
def schedules(draw: st.DrawFn) -> list[tuple[str, int]]:
    """An interleaving of writes and finishes (each writer writes before it finishes) with
    sequencer runs and reads anywhere."""
    outcomes = draw(WRITERS)
    steps: list[tuple[str, int]] = []
    pending = {i: ["write", "commit" if keep else "rollback"] for i, keep in enumerate(outcomes)}
    extra = draw(st.lists(st.sampled_from(["sequence", "read"]), max_size=6))
    while pending or extra:
        choices = [("writer", i) for i in pending] + ([("extra", 0)] if extra else [])
        kind, i = draw(st.sampled_from(choices))
        if kind == "extra":
            steps.append((extra.pop(), -1))
            continue
        steps.append((pending[i].pop(0), i))
        if not pending[i]:
            del pending[i]
    return steps


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(schedule=schedules())
def test_the_log_is_exactly_the_committed_changes_in_increasing_positions(
    admin_dsn: str, schedule: list[tuple[str, int]]
) -> None:
    with psycopg.connect(admin_dsn) as conn:
        example = conn.execute("SELECT count(*) FROM ledger_private.event").fetchone()[0]  # type: ignore[index]
    tag = f"x{example}-{len(schedule)}-{abs(hash(tuple(schedule))) % 10**6}"
    writers = {i for step, i in schedule if step == "write"}
    open_accounts(admin_dsn, *(f"{tag}-{i}-{side}" for i in writers for side in ("D", "C")))
    start = read_events(admin_dsn)[-1]["position"] if read_events(admin_dsn) else 0
    sequence_all(admin_dsn)
    seen: list[dict[str, Any]] = read_events(admin_dsn, after=start)
    connections: dict[int, psycopg.Connection[Any]] = {}
    committed: set[str] = set()
    try:
        for step, i in schedule:
            if step == "write":
                connections[i] = admin_connection(admin_dsn)
                post(connections[i], f"{tag}-{i}", f"{tag}-{i}-D", f"{tag}-{i}-C")
            elif step == "commit":
                try:
                    connections.pop(i).commit()
                except psycopg.errors.SerializationFailure:
                    continue  # SERIALIZABLE refused the commit: nothing committed
                committed.add(f"{tag}-{i}")
            elif step == "rollback":
                connections.pop(i).rollback()
            elif step == "sequence":
                sequence_all(admin_dsn)
            else:
                after = seen[-1]["position"] if seen else start
                seen += read_events(admin_dsn, after=after)
    finally:
        for conn in connections.values():
            conn.close()
    sequence_all(admin_dsn)
    seen += read_events(admin_dsn, after=seen[-1]["position"] if seen else start)
    log = read_events(admin_dsn, after=start)
    positions = [e["position"] for e in seen]
    assert positions == sorted(set(positions)), "positions strictly increase"
    assert seen == log, "the incremental reader saw exactly the log, nothing missed or doubled"
    assert sorted(k for k in posted_keys(log) if k.startswith(tag)) == sorted(committed)


# -- REST, SSE through a real service, isolation ---------------------------------------------


@pytest.fixture
def served(admin_dsn: str, service_dsn: str, tmp_path: Path) -> Iterator[str]:
    open_accounts(admin_dsn, "CASH", "SALES")
    with doublex_serve(
        service_dsn, tmp_path / "serve.log", DOUBLEX_EVENTS_SECONDS="0.05",
        DOUBLEX_SSE_POLL_SECONDS="0.05", DOUBLEX_SSE_PING_SECONDS="0.2",
        DOUBLEX_SSE_MAX_SECONDS="30",
    ) as base:  # fmt: skip
        yield base
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


async def wait_for_position(session: aiohttp.ClientSession, base: str, count: int) -> list[Any]:
    """GET /api/events until it holds `count` events (the service sequences in the background)."""
    for _ in range(200):
        async with session.get(f"{base}/api/events", params={"limit": "1000"}) as response:
            items: list[Any] = (await response.json())["items"]
        if len(items) >= count:
            return items
        await asyncio.sleep(0.05)
    raise AssertionError(f"only {len(items)} events")


async def transfer(session: aiohttp.ClientSession, base: str, key: str) -> None:
    body = {"idempotency_key": key, "legs": json.loads(pair("CASH", "SALES"))}
    async with session.post(f"{base}/api/transfers", json=body) as response:
        assert response.status == 201, await response.text()


async def read_stream(
    session: aiohttp.ClientSession, base: str, count: int, last_id: str | None = None
) -> tuple[list[tuple[str, str, Any]], int]:
    """Read `count` events of the stream: (id, event, data) each, and the pings seen."""
    headers = {"Last-Event-ID": last_id} if last_id else {}
    got: list[tuple[str, str, Any]] = []
    pings = 0
    fields: dict[str, str] = {}
    async with session.get(f"{base}/api/events/stream", headers=headers) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        async for raw in response.content:
            line = raw.decode().rstrip("\r\n")
            if line.startswith(":"):
                pings += 1
            elif line == "" and fields:
                got.append((fields["id"], fields["event"], json.loads(fields["data"])))
                fields = {}
                if len(got) == count:
                    break
            elif ":" in line:
                name, _, value = line.partition(":")
                fields[name] = value.lstrip(" ")
    return got, pings


async def test_the_page_and_the_stream_resume_with_last_event_id(
    served: str, admin_dsn: str
) -> None:
    key = create_key(admin_dsn)["token"]
    async with aiohttp.ClientSession(headers=bearer(key)) as session:
        for n in range(3):
            await transfer(session, served, f"t{n}")
        everything = await wait_for_position(session, served, 6)  # 2 accounts, a key, 3 journals
        first, _ = await read_stream(session, served, len(everything))
        assert [int(i) for i, _, _ in first] == [e["position"] for e in everything]
        assert [(t, d) for _, t, d in first] == [(e["type"], e) for e in everything]
        # Disconnected; three more journals; resume after the last id received.
        for n in range(3, 6):
            await transfer(session, served, f"t{n}")
        missed = (await wait_for_position(session, served, 9))[len(everything) :]
        resumed, _ = await read_stream(session, served, 3, last_id=first[-1][0])
        assert [d for _, _, d in resumed] == missed
        assert [d["payload"]["idempotency_key"] for _, _, d in resumed] == ["t3", "t4", "t5"]
        # Caught up: the stream stays open and pings while nothing happens.
        waiting = asyncio.create_task(read_stream(session, served, 1, last_id=resumed[-1][0]))
        await asyncio.sleep(0.5)
        await transfer(session, served, "t6")
        (live, live_pings) = await asyncio.wait_for(waiting, 10)
        assert live[0][2]["payload"]["idempotency_key"] == "t6" and live_pings >= 1
        query = {"after": str(everything[1]["position"]), "types": "journal.posted", "limit": "2"}
        page = await (await session.get(f"{served}/api/events", params=query)).json()
        assert [e["payload"]["idempotency_key"] for e in page["items"]] == ["t0", "t1"]
        assert page["next_cursor"] == str(page["items"][-1]["position"])
        refused = await session.get(f"{served}/api/events", params={"types": "nope"})
        assert refused.status == 422 and (await refused.json())["code"] == "DX058"
        refused = await session.get(f"{served}/api/events/stream", params={"after": "-1"})
        assert refused.status == 422 and (await refused.json())["code"] == "DX058"


async def test_each_tenant_reads_only_its_own_events(served: str, admin_dsn: str) -> None:
    theirs = tenant_key(admin_dsn, "bravo")
    open_accounts(admin_dsn, "CASH", "SALES", tenant="bravo")
    mine = create_key(admin_dsn)["token"]
    async with aiohttp.ClientSession(headers=bearer(mine)) as session:
        await transfer(session, served, "secret-default")
        ours = await wait_for_position(session, served, 4)
    async with aiohttp.ClientSession(headers=bearer(theirs)) as session:
        await transfer(session, served, "bravo-1")
        bravo = await wait_for_position(session, served, 4)  # its key, 2 accounts, a journal
        streamed, _ = await read_stream(session, served, len(bravo))
    assert {e["event_id"] for e in ours}.isdisjoint(e["event_id"] for e in bravo)
    for text in (json.dumps(bravo), json.dumps([d for _, _, d in streamed])):
        assert "secret-default" not in text and "bravo-1" in text


# -- the sequencer: metrics, the CLI ------------------------------------------------------------


async def test_the_sequencer_counts_events_by_type_and_its_lag(admin_dsn: str) -> None:
    open_accounts(admin_dsn, "CASH", "SALES")
    with admin_connection(admin_dsn) as conn:
        post(conn, "m1", "CASH", "SALES")
    before = metrics.REGISTRY.get_sample_value("ledger_events_total", {"type": "journal.posted"})
    async with Ledger(admin_dsn, min_size=1, max_size=2) as ledger:
        assert await sequencer.pump(ledger, 0.01, once=True) >= 3
        idle = await sequencer.turn(ledger)
    after = metrics.REGISTRY.get_sample_value("ledger_events_total", {"type": "journal.posted"})
    assert (after or 0) - (before or 0) == 1
    assert idle["batch_id"] is None
    assert metrics.REGISTRY.get_sample_value("ledger_event_sequencer_lag_seconds") == 0
    with psycopg.connect(admin_dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        with pytest.raises(psycopg.Error) as refused:
            conn.execute("SELECT * FROM ledger.sequence_events()")
        assert refused.value.sqlstate == "DX016"


async def test_the_sequencer_keeps_its_cadence_under_steady_traffic(admin_dsn: str) -> None:
    """Postings that never stop must not make the sequencer turn without a pause (a tick, a
    batch and a commit per handful of postings): a fresh batch waits one cadence too."""
    open_accounts(admin_dsn, "CASH", "SALES")
    stop = asyncio.Event()

    def keep_posting() -> int:
        posted = 0
        with admin_connection(admin_dsn) as conn:
            while not stop.is_set():
                post(conn, f"cadence-{posted}", "CASH", "SALES")
                conn.commit()
                posted += 1
        return posted

    def batches() -> float:
        sample = metrics.REGISTRY.get_sample_value(
            "ledger_event_sequencer_runs_total", {"outcome": "batch"})  # fmt: skip
        return sample or 0

    before = batches()
    async with Ledger(admin_dsn, min_size=1, max_size=2) as ledger:
        poster = asyncio.create_task(asyncio.to_thread(keep_posting))
        task = asyncio.create_task(sequencer.pump(ledger, 0.4))
        await asyncio.sleep(2.0)
        stop.set()
        posted = await poster
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await sequencer.pump(ledger, 0.01, once=True)
    turned = batches() - before
    # 2 s at a 0.4 s cadence: about 5 batches (one more for the drain above), however many
    # postings; turning at once after each batch made one per few postings.
    assert posted >= 50, "the poster should have kept the sequencer busy"
    assert 2 <= turned <= 8, f"{turned} batches for {posted} postings in 2 s"
    keys = posted_keys(read_events(admin_dsn))
    assert [k for k in keys if k.startswith("cadence-")] == [f"cadence-{n}" for n in range(posted)]


async def test_a_failed_turn_is_counted_and_retried(admin_dsn: str) -> None:
    async with Ledger(admin_dsn, min_size=1, max_size=2) as ledger:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute("SELECT pgq.unregister_consumer('doublex_events', 'doublex_sequencer')")
        failed = metrics.REGISTRY.get_sample_value(
            "ledger_event_sequencer_runs_total", {"outcome": "failed"}) or 0  # fmt: skip
        with pytest.raises(errors.LedgerError):
            await sequencer.pump(ledger, 0.01, once=True)
        task = asyncio.create_task(sequencer.pump(ledger, 0.01))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    now = metrics.REGISTRY.get_sample_value(
        "ledger_event_sequencer_runs_total", {"outcome": "failed"})  # fmt: skip
    assert (now or 0) >= failed + 2


def test_cli_pump_and_tail(admin_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOUBLEX_DSN", admin_dsn)
    monkeypatch.delenv("DOUBLEX_SERVICE_DSN", raising=False)
    cli = CliRunner()
    open_accounts(admin_dsn, "CASH", "SALES")
    with admin_connection(admin_dsn) as conn:
        post(conn, "c1", "CASH", "SALES")
    pumped = run(cli, "events", "pump", "--once").stdout
    assert "3 event(s) sequenced" in pumped and "journal.posted 1" in pumped
    lines = run(cli, "events", "tail").stdout.splitlines()
    assert [line.split("  ")[2] for line in lines] == [
        "account.created", "account.created", "journal.posted"]  # fmt: skip
    as_json = run(cli, "events", "tail", "--json", "--types", "journal.posted").stdout
    (event,) = [json.loads(line) for line in as_json.splitlines()]
    assert event["payload"]["legs"][0]["amount"] == "1.00"
    after = run(cli, "events", "tail", "--after", str(event["position"])).stdout
    assert after == ""
    refused = run(cli, "events", "tail", "--types", "nope", code=1)
    assert "DX058" in refused.stderr


# -- PgQ and a migrator that is not a superuser ---------------------------------------------------


def test_a_migrator_that_is_not_a_superuser_is_told_what_to_run(pg_cluster: TestCluster) -> None:
    """CREATE EXTENSION pgq needs a superuser: migration 0020's first step (its own text, run
    by a role that is not one, in a database without PgQ) stops saying what to run, and goes
    on once a superuser ran it."""
    text = (config.project_root() / "migrations" / "0020_events.sql").read_text()
    begin = text.index("DO $$")
    guard = text[begin : text.index("END\n$$;", begin) + len("END\n$$;")]
    name = f"t_{uuid.uuid4().hex[:16]}"
    role = f"migrator_{uuid.uuid4().hex[:8]}"
    pg_cluster.execute(f'CREATE DATABASE "{name}"')
    pg_cluster.execute(f'CREATE ROLE "{role}" LOGIN CREATEROLE NOSUPERUSER')
    dsn = config.as_role(pg_cluster.admin_dsn(name), role)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            with pytest.raises(psycopg.Error, match="CREATE EXTENSION pgq needs a superuser") as e:
                conn.execute(guard)  # type: ignore[arg-type]
            hint = e.value.diag.message_hint or ""
            assert "CREATE EXTENSION pgq; GRANT pgq_admin TO doublex_owner;" in hint, hint
            pg_cluster.execute("CREATE EXTENSION pgq", dbname=name)
            conn.execute(guard)  # type: ignore[arg-type]
            assert conn.execute(
                "SELECT extversion FROM pg_extension WHERE extname = 'pgq'"
            ).fetchone()
    finally:
        pg_cluster.drop_database(name)
        pg_cluster.execute(f'DROP ROLE "{role}"')
