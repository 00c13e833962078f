"""doublex.db.Ledger.run against real failures: no mocks, real conflicts on a real cluster.

Serialization failures (also at COMMIT) and deadlocks are retried on a fresh transaction;
a lost connection is never retried; errors leave as LedgerError with the registry's data.
The conflicts are built on a scratch table the superuser creates in the test database.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pytest
from psycopg import AsyncConnection, IsolationLevel
from psycopg.conninfo import make_conninfo

from doublex import errors, localdb
from doublex.db import Ledger, RetryPolicy
from doublex.errors import DX_ERRORS

Row = dict[str, Any]
AdminConn = psycopg.Connection[tuple[Any, ...]]
EVENT_TIMEOUT = 10.0


@dataclass
class RetryLog:
    """What Ledger's on_retry callback saw."""

    sqlstates: list[str] = field(default_factory=list)

    def __call__(self, sqlstate: str) -> None:
        self.sqlstates.append(sqlstate)


@pytest.fixture
def scratch(admin_conn: AdminConn) -> Iterator[None]:
    """public.scratch(id, v) with rows 1 and 2 at 0, writable by the app role."""
    admin_conn.execute("CREATE TABLE public.scratch (id int PRIMARY KEY, v text NOT NULL)")
    admin_conn.execute("INSERT INTO public.scratch VALUES (1, '0'), (2, '0')")
    admin_conn.execute("GRANT SELECT, INSERT, UPDATE ON public.scratch TO doublex_app")
    yield


def scratch_rows(admin_conn: AdminConn) -> dict[int, str]:
    return dict(admin_conn.execute("SELECT id, v FROM public.scratch ORDER BY id").fetchall())


@pytest.fixture
async def admin_aconn(admin_dsn: str) -> AsyncIterator[AsyncConnection[tuple[Any, ...]]]:
    conn = await AsyncConnection.connect(admin_dsn, autocommit=True)
    try:
        yield conn
    finally:
        await conn.close()


async def read_v(conn: AsyncConnection[Row], row_id: int) -> str:
    cursor = await conn.execute("SELECT v FROM public.scratch WHERE id = %s", (row_id,))
    row = await cursor.fetchone()
    assert row is not None
    return str(row["v"])


async def xact_id(conn: AsyncConnection[Row]) -> int:
    cursor = await conn.execute("SELECT pg_current_xact_id()::text::bigint AS x")
    row = await cursor.fetchone()
    assert row is not None
    return int(row["x"])


async def wait(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), EVENT_TIMEOUT)


@dataclass
class WriteSkew:
    """Two transactions, each reading the row the other writes, both writing before either
    commits: the first COMMIT succeeds, the second fails at COMMIT with 40001."""

    t1_read: asyncio.Event = field(default_factory=asyncio.Event)
    t2_read: asyncio.Event = field(default_factory=asyncio.Event)
    t2_wrote: asyncio.Event = field(default_factory=asyncio.Event)
    t1_done: asyncio.Event = field(default_factory=asyncio.Event)
    t2_attempts: int = 0
    t2_returned: list[int] = field(default_factory=list)  # attempts whose work returned
    t2_xids: list[int] = field(default_factory=list)

    async def first(self, conn: AsyncConnection[Row]) -> str:
        seen = await read_v(conn, 2)
        self.t1_read.set()
        await wait(self.t2_read)
        await conn.execute("UPDATE public.scratch SET v = %s WHERE id = 1", (f"t1 saw {seen}",))
        await wait(self.t2_wrote)
        return seen

    async def second(self, conn: AsyncConnection[Row]) -> str:
        self.t2_attempts += 1
        self.t2_xids.append(await xact_id(conn))
        seen = await read_v(conn, 1)
        self.t2_read.set()
        await wait(self.t1_read)
        await conn.execute("UPDATE public.scratch SET v = %s WHERE id = 2", (f"t2 saw {seen}",))
        self.t2_wrote.set()
        # Hold the transaction open until the first one has committed, so that the
        # conflict can only surface at this transaction's COMMIT.
        await wait(self.t1_done)
        self.t2_returned.append(self.t2_attempts)
        return seen


async def run_write_skew(first: Ledger, second: Ledger, skew: WriteSkew) -> str:
    """Run the pair; returns what the first saw, raises what the second raised."""
    task = asyncio.create_task(second.run(skew.second))
    try:
        seen = await first.run(skew.first)
    finally:
        skew.t1_done.set()
    await task
    return seen


# -- (a) a serialization failure at COMMIT is retried on a fresh transaction ---------------


async def test_serialization_failure_at_commit_is_retried(
    app_dsn: str, scratch: None, admin_conn: AdminConn
) -> None:
    log = RetryLog()
    skew = WriteSkew()
    async with Ledger(app_dsn, max_size=4, on_retry=log) as ledger:
        task = asyncio.create_task(ledger.run(skew.second))
        seen_by_t1 = await ledger.run(skew.first)
        skew.t1_done.set()
        seen_by_t2 = await task

    assert seen_by_t1 == "0"
    # The first attempt's work returned, and still the transaction was retried: the
    # failure came from COMMIT. The retry is a new transaction that sees T1's write.
    assert skew.t2_attempts >= 2
    assert skew.t2_returned[0] == 1
    assert log.sqlstates and set(log.sqlstates) == {"40001"}
    assert len(log.sqlstates) == skew.t2_attempts - 1
    assert len(set(skew.t2_xids)) == skew.t2_attempts
    assert seen_by_t2 == "t1 saw 0"
    assert scratch_rows(admin_conn) == {1: "t1 saw 0", 2: "t2 saw t1 saw 0"}


# -- (b) the retry budget runs out -----------------------------------------------------------


async def test_retries_exhausted_after_max_attempts(
    app_dsn: str, scratch: None, admin_conn: AdminConn
) -> None:
    log = RetryLog()
    skew = WriteSkew()
    async with (
        Ledger(app_dsn, max_size=2) as first,
        Ledger(app_dsn, max_size=2, retry=RetryPolicy(max_attempts=1), on_retry=log) as second,
    ):
        with pytest.raises(errors.RetriesExhausted) as raised:
            await run_write_skew(first, second, skew)

    exc = raised.value
    assert exc.http_status == 503
    assert exc.code == "retries_exhausted"
    assert isinstance(exc.__cause__, psycopg.errors.SerializationFailure)
    assert skew.t2_attempts == 1
    assert skew.t2_returned == [1]  # it failed at COMMIT, after its work had returned
    assert log.sqlstates == []  # given up, not retried
    # T1 committed; T2 wrote nothing.
    assert scratch_rows(admin_conn) == {1: "t1 saw 0", 2: "0"}


async def test_retry_budget_counts_attempts(
    app_dsn: str, scratch: None, admin_conn: AdminConn
) -> None:
    """max_attempts=2 with a conflict that recurs every attempt: exactly 2 attempts."""
    log = RetryLog()
    attempts = 0

    async def always_conflicts(conn: AsyncConnection[Row]) -> None:
        nonlocal attempts
        attempts += 1
        await conn.execute("UPDATE public.scratch SET v = 'mine' WHERE id = 1")
        raise psycopg.errors.SerializationFailure("simulated by the work function")

    async with Ledger(
        app_dsn, max_size=1, retry=RetryPolicy(max_attempts=2, base_delay=0.001), on_retry=log
    ) as ledger:
        with pytest.raises(errors.RetriesExhausted):
            await ledger.run(always_conflicts)
    assert attempts == 2
    assert log.sqlstates == ["40001"]  # one retry between the two attempts
    assert scratch_rows(admin_conn)[1] == "0"


# -- (c) deadlocks are retried ------------------------------------------------------------


async def test_deadlock_is_retried(
    app_dsn: str, database: str, scratch: None, admin_conn: AdminConn
) -> None:
    # Detect the deadlock quickly; a database setting reaches the app role's new sessions.
    admin_conn.execute(f"ALTER DATABASE \"{database}\" SET deadlock_timeout = '50ms'")
    log = RetryLog()
    locked = {1: asyncio.Event(), 2: asyncio.Event()}
    attempts = {1: 0, 2: 0}

    def worker(me: int) -> Any:
        other = 3 - me

        async def work(conn: AsyncConnection[Row]) -> str:
            attempts[me] += 1
            await conn.execute("UPDATE public.scratch SET v = %s WHERE id = %s", (f"t{me}", me))
            if attempts[me] == 1:
                locked[me].set()
                await wait(locked[other])
            await conn.execute("UPDATE public.scratch SET v = %s WHERE id = %s", (f"t{me}", other))
            return f"t{me}"

        return work

    async with Ledger(app_dsn, max_size=4, on_retry=log) as ledger:
        results = await asyncio.wait_for(
            asyncio.gather(ledger.run(worker(1)), ledger.run(worker(2))), 20
        )

    assert list(results) == ["t1", "t2"]
    assert "40P01" in log.sqlstates
    assert set(log.sqlstates) <= {"40P01", "40001"}
    assert attempts[1] + attempts[2] == 2 + len(log.sqlstates)
    # Both committed, one after the other: the later one owns both rows.
    rows = scratch_rows(admin_conn)
    assert rows[1] == rows[2] and rows[1] in {"t1", "t2"}


# -- (d) a lost connection: retried before COMMIT, never during it -------------------------


async def test_connection_killed_before_commit_is_retried_on_a_fresh_one(
    app_dsn: str,
    scratch: None,
    admin_conn: AdminConn,
    admin_aconn: AsyncConnection[tuple[Any, ...]],
) -> None:
    """The server rolls back a transaction whose connection dies before COMMIT, so the
    runner may run the work again on another connection; it does, once."""
    log = RetryLog()
    attempts = 0
    pid: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    async def work(conn: AsyncConnection[Row]) -> None:
        nonlocal attempts
        attempts += 1
        await conn.execute("UPDATE public.scratch SET v = v || '+killed' WHERE id = 1")
        if attempts == 1:
            cursor = await conn.execute("SELECT pg_backend_pid() AS pid")
            row = await cursor.fetchone()
            assert row is not None
            pid.set_result(int(row["pid"]))
            await conn.execute("SELECT pg_sleep(30)")

    async with Ledger(app_dsn, max_size=2, on_retry=log) as ledger:
        task = asyncio.create_task(ledger.run(work))
        backend = await asyncio.wait_for(pid, EVENT_TIMEOUT)
        await admin_aconn.execute("SELECT pg_terminate_backend(%s)", (backend,))
        await asyncio.wait_for(task, EVENT_TIMEOUT)

    assert attempts == 2
    assert log.sqlstates == []  # not a serialization retry
    assert scratch_rows(admin_conn)[1] == "0+killed"  # applied exactly once


async def test_stale_pooled_connection_is_replaced_transparently(
    app_dsn: str, admin_aconn: AsyncConnection[tuple[Any, ...]]
) -> None:
    """An idle pooled connection killed by the server (restart, idle timeout) costs the next
    caller nothing: it is not an unknown outcome, the work runs on a fresh connection."""
    async with Ledger(app_dsn, min_size=1, max_size=1) as ledger:
        first = await ledger.run(lambda conn: backend_pid(conn))
        await admin_aconn.execute("SELECT pg_terminate_backend(%s)", (first,))
        await asyncio.sleep(0.2)
        second = await ledger.run(lambda conn: backend_pid(conn))
    assert second != first


async def backend_pid(conn: AsyncConnection[Row]) -> int:
    cursor = await conn.execute("SELECT pg_backend_pid() AS pid")
    row = await cursor.fetchone()
    assert row is not None
    return int(row["pid"])


async def test_connection_killed_during_commit_is_not_retried(
    app_dsn: str,
    scratch: None,
    admin_conn: AdminConn,
    admin_aconn: AsyncConnection[tuple[Any, ...]],
) -> None:
    """The COMMIT itself is slow (a deferred trigger sleeps) and the backend dies during it:
    OutcomeUnknown, and the runner does not send the work or the COMMIT again."""
    admin_conn.execute("""
        CREATE FUNCTION public.slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$
    """)
    admin_conn.execute("""
        CREATE CONSTRAINT TRIGGER slow_commit AFTER UPDATE ON public.scratch
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.slow_commit()
    """)
    log = RetryLog()
    attempts = 0
    pids: list[int] = []

    async def work(conn: AsyncConnection[Row]) -> None:
        nonlocal attempts
        attempts += 1
        cursor = await conn.execute("SELECT pg_backend_pid() AS pid")
        row = await cursor.fetchone()
        assert row is not None
        pids.append(int(row["pid"]))
        await conn.execute("UPDATE public.scratch SET v = 'committing' WHERE id = 1")

    async with Ledger(app_dsn, max_size=2, on_retry=log) as ledger:
        task = asyncio.create_task(ledger.run(work))
        for _ in range(500):
            await asyncio.sleep(0.01)
            if not pids:
                continue
            cursor = await admin_aconn.execute(
                "SELECT query FROM pg_stat_activity WHERE pid = %s AND state = 'active'",
                (pids[0],),
            )
            row = await cursor.fetchone()
            if row is not None and str(row[0]).strip().upper() == "COMMIT":
                break
        else:
            pytest.fail("the COMMIT never started")
        await admin_aconn.execute("SELECT pg_terminate_backend(%s)", (pids[0],))
        with pytest.raises(errors.OutcomeUnknown):
            await asyncio.wait_for(task, EVENT_TIMEOUT)

    assert attempts == 1
    assert log.sqlstates == []
    assert scratch_rows(admin_conn)[1] == "0"


# -- (e) no database ----------------------------------------------------------------------


async def test_closed_port_is_database_unavailable() -> None:
    port = localdb.free_port()  # bound and released: nothing listens there
    dsn = f"host=127.0.0.1 port={port} user=doublex_app dbname=postgres connect_timeout=2"

    ledger = Ledger(dsn, min_size=1, max_size=1)
    with pytest.raises(errors.DatabaseUnavailable) as raised:
        await ledger.open(wait=True, wait_seconds=0.5)
    assert raised.value.http_status == 503
    await ledger.close()

    ledger = Ledger(dsn, min_size=1, max_size=1, pool_timeout=0.5)
    await ledger.open(wait=False)
    try:
        with pytest.raises(errors.DatabaseUnavailable) as raised:
            await ledger.get_balance("1001-CASH")
        assert raised.value.code == "database_unavailable"
        assert raised.value.http_status == 503
    finally:
        await ledger.close()


# -- (f) error mapping ------------------------------------------------------------------


EUR_TRANSFER = [
    {"account": "A", "side": "debit", "amount": "10.00", "ccy": "EUR"},
    {"account": "B", "side": "credit", "amount": "10.00", "ccy": "EUR"},
]


async def test_dx_codes_map_to_rule_violations(ledger: Ledger) -> None:
    await ledger.create_account("A", "Cash", "EUR")
    await ledger.create_account("B", "Revenue", "EUR", type="income")

    unbalanced = [dict(EUR_TRANSFER[0]), dict(EUR_TRANSFER[1], amount="9.99")]
    with pytest.raises(errors.RuleViolation) as raised:
        await ledger.post_journal("k-unbalanced", unbalanced)
    exc = raised.value
    kind = DX_ERRORS["DX009"]
    assert (exc.code, exc.name, exc.http_status, exc.field) == (
        kind.code,
        kind.name,
        kind.http_status,
        "legs",
    )
    assert exc.hint  # the registry's errors carry a hint where one helps

    precise = [dict(EUR_TRANSFER[0]), dict(EUR_TRANSFER[1], amount="10.001")]
    with pytest.raises(errors.RuleViolation) as raised:
        await ledger.post_journal("k-precision", precise)
    assert (raised.value.code, raised.value.http_status, raised.value.field) == (
        "DX004",
        422,
        "legs[1].amount",
    )

    with pytest.raises(errors.RuleViolation) as raised:
        await ledger.get_balance("NOPE")
    assert (raised.value.code, raised.value.name, raised.value.http_status) == (
        "DX020",
        "account_not_found",
        404,
    )
    assert raised.value.field == "account"

    first = await ledger.post_journal("k-1", EUR_TRANSFER)
    assert first["status"] == "posted"
    with pytest.raises(errors.RuleViolation) as raised:
        await ledger.post_journal("k-1", EUR_TRANSFER, memo="different")
    assert (raised.value.code, raised.value.http_status, raised.value.field) == (
        "DX011",
        409,
        "idempotency_key",
    )
    assert raised.value.detail


async def test_rule_violations_are_not_retried(app_dsn: str) -> None:
    log = RetryLog()
    async with Ledger(app_dsn, max_size=2, on_retry=log) as ledger:
        await ledger.create_account("A", "Cash", "EUR")
        with pytest.raises(errors.RuleViolation):
            await ledger.post_journal("k", [EUR_TRANSFER[0], EUR_TRANSFER[0]])
    assert log.sqlstates == []


async def test_data_exception_maps_to_invalid_input(ledger: Ledger) -> None:
    with pytest.raises(errors.InvalidInput) as raised:
        await ledger.get_journal("not-a-uuid")
    assert raised.value.http_status == 422
    assert raised.value.code == "invalid_input"
    assert isinstance(raised.value.__cause__, psycopg.errors.InvalidTextRepresentation)

    with pytest.raises(errors.InvalidInput):
        await ledger.list_journals(from_date="2026-02-30")  # type: ignore[arg-type]


async def test_text_psycopg_cannot_send_is_invalid_input(
    ledger: Ledger, admin_conn: AdminConn
) -> None:
    """A NUL character in a memo never reaches the server: psycopg refuses to send it. That
    is the client's bad input (422), not an internal error (500)."""
    await ledger.create_account("A", "Cash", "EUR")
    await ledger.create_account("B", "Revenue", "EUR", type="income")
    with pytest.raises(errors.InvalidInput) as raised:
        await ledger.post_journal("k-nul", EUR_TRANSFER, memo="a\x00b")
    assert raised.value.http_status == 422
    assert isinstance(raised.value.__cause__, psycopg.DataError)
    with pytest.raises(errors.InvalidInput):  # the server's answer for NUL inside JSON
        await ledger.post_journal("k-nul", EUR_TRANSFER, metadata={"note": "a\x00b"})
    row = admin_conn.execute("SELECT count(*) FROM ledger_private.journal").fetchone()
    assert row == (0,)
    assert (await ledger.post_journal("k-nul", EUR_TRANSFER))["status"] == "posted"


async def test_other_errors_map_to_internal_error(ledger: Ledger) -> None:
    async def missing_table(conn: AsyncConnection[Row]) -> None:
        await conn.execute("SELECT * FROM public.no_such_table")

    with pytest.raises(errors.InternalError) as raised:
        await ledger.run(missing_table)
    assert raised.value.http_status == 500
    assert raised.value.code == "internal_error"
    assert "no_such_table" not in raised.value.message  # no internals for clients

    async def python_bug(conn: AsyncConnection[Row]) -> None:
        raise ValueError("a bug in a work function")

    with pytest.raises(errors.InternalError) as raised:
        await ledger.run(python_bug)
    assert isinstance(raised.value.__cause__, ValueError)

    # A LedgerError raised by the work function passes through unchanged.
    async def refuses(conn: AsyncConnection[Row]) -> None:
        raise errors.InvalidInput("bad", field="x")

    with pytest.raises(errors.InvalidInput) as passed:
        await ledger.run(refuses)
    assert passed.value.field == "x"


def test_from_database_maps_pool_timeout() -> None:
    from psycopg_pool import PoolTimeout

    assert isinstance(errors.from_database(PoolTimeout("t")), errors.DatabaseUnavailable)
    assert isinstance(errors.from_database(RuntimeError("x")), errors.InternalError)


def test_retry_delay_is_bounded_and_grows(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = RetryPolicy(max_attempts=10, base_delay=0.002, max_delay=0.25)
    for attempt in range(1, 15):
        for _ in range(200):
            assert 0 <= policy.delay(attempt) <= policy.max_delay

    # The upper end of the jitter window doubles per attempt until it reaches the cap.
    monkeypatch.setattr(random, "uniform", lambda low, high: high)
    ceilings = [policy.delay(attempt) for attempt in range(1, 15)]
    assert ceilings[0] == pytest.approx(policy.base_delay)
    for earlier, later in itertools.pairwise(ceilings):
        assert later >= earlier
        assert later == pytest.approx(min(policy.max_delay, 2 * earlier))
    assert ceilings[-1] == pytest.approx(policy.max_delay)
    # …and the window always starts at zero (full jitter).
    monkeypatch.setattr(random, "uniform", lambda low, high: low)
    assert {policy.delay(attempt) for attempt in range(1, 15)} == {0}


def test_retry_delay_mean_grows() -> None:
    policy = RetryPolicy(base_delay=0.002, max_delay=0.25)
    rng_state = random.getstate()
    random.seed(20240601)
    try:
        means = [sum(policy.delay(a) for _ in range(2000)) / 2000 for a in (1, 3, 5, 7)]
    finally:
        random.setstate(rng_state)
    assert means == sorted(means)
    assert means[-1] > 4 * means[0]


# -- (g) isolation of reads, writes and the roll-up -------------------------------------------


async def transaction_settings(conn: AsyncConnection[Row]) -> tuple[str, str, str]:
    cursor = await conn.execute("""
        SELECT current_setting('transaction_read_only') AS ro,
               current_setting('transaction_isolation') AS iso,
               current_setting('transaction_deferrable') AS deferrable
    """)
    row = await cursor.fetchone()
    assert row is not None
    return (row["ro"], row["iso"], row["deferrable"])


async def test_read_only_runs_are_serializable_read_only_deferrable(app_dsn: str) -> None:
    # One connection, so every run below reuses it: settings must not leak between runs.
    async with Ledger(app_dsn, min_size=1, max_size=1) as ledger:
        assert await ledger.run(transaction_settings, read_only=True) == (
            "on",
            "serializable",
            "on",
        )
        assert await ledger.run(transaction_settings) == ("off", "serializable", "off")
        assert await ledger.run(transaction_settings, isolation=IsolationLevel.READ_COMMITTED) == (
            "off",
            "read committed",
            "off",
        )
        assert await ledger.run(transaction_settings, read_only=True) == (
            "on",
            "serializable",
            "on",
        )
        assert await ledger.run(transaction_settings) == ("off", "serializable", "off")


async def test_read_only_run_refuses_writes(app_dsn: str) -> None:
    async with Ledger(app_dsn, min_size=1, max_size=1) as ledger:

        async def create(conn: AsyncConnection[Row]) -> None:
            await conn.execute("SELECT * FROM ledger.create_account('X', 'X', 'EUR')")

        with pytest.raises(errors.LedgerError):
            await ledger.run(create, read_only=True)
        # The same connection writes again once the read-only run is over.
        await ledger.run(create)
        account = await ledger.get_account("X")
        assert account["ccy"] == "EUR"


async def test_writes_below_serializable_are_refused(app_dsn: str) -> None:
    async with Ledger(app_dsn, min_size=1, max_size=1) as ledger:

        async def create(conn: AsyncConnection[Row]) -> None:
            await conn.execute("SELECT * FROM ledger.create_account('X', 'X', 'EUR')")

        with pytest.raises(errors.RuleViolation) as raised:
            await ledger.run(create, isolation=IsolationLevel.READ_COMMITTED)
        assert (raised.value.code, raised.value.http_status) == ("DX016", 503)
        rolled = await ledger.roll_up_balances()
        assert rolled["tenant"] == "default"


# -- (h) single-call writes run as autocommit statements ------------------------------------

LEGS = [
    {"account": "CASH", "side": "debit", "amount": "5.00", "ccy": "EUR"},
    {"account": "FEES", "side": "credit", "amount": "5.00", "ccy": "EUR"},
]


async def test_posting_whose_backend_dies_mid_call_is_an_unknown_outcome(
    app_dsn: str, admin_dsn: str, admin_aconn: AsyncConnection[tuple[Any, ...]]
) -> None:
    """The posting waits on its key's advisory lock (held by another session) when its
    backend is killed: the runner must not send the call again (it might have committed);
    the caller's replay with the same key is what recovers, and here it posts."""
    log = RetryLog()
    async with Ledger(app_dsn, max_size=2, on_retry=log) as ledger:
        await ledger.create_account("CASH", "Cash", "EUR")
        await ledger.create_account("FEES", "Fees", "EUR", type="income")
        # The admin: no login role may take the ledger's advisory locks (migration 0013).
        holder = await psycopg.AsyncConnection.connect(admin_dsn, autocommit=True)
        await holder.execute(
            "SELECT pg_advisory_lock(hashtext('doublex.idempotency'), hashtext('default/k-1'))"
        )
        task = asyncio.create_task(ledger.post_journal("k-1", LEGS))
        for _ in range(500):
            await asyncio.sleep(0.01)
            cursor = await admin_aconn.execute(
                "SELECT pid FROM pg_stat_activity WHERE wait_event = 'advisory' "
                "AND query LIKE '%post_journal%'"
            )
            waiting = await cursor.fetchone()
            if waiting is not None:
                break
        else:
            pytest.fail("the posting never waited on the advisory lock")
        await admin_aconn.execute("SELECT pg_terminate_backend(%s)", (waiting[0],))
        with pytest.raises(errors.OutcomeUnknown) as raised:
            await asyncio.wait_for(task, EVENT_TIMEOUT)
        await holder.close()
        assert raised.value.http_status == 503
        assert log.sqlstates == []
        replay = await ledger.post_journal("k-1", LEGS)
        assert replay["status"] == "posted"


async def test_postings_are_serializable_whatever_the_role_default(
    pg_cluster: Any, database: str
) -> None:
    """A session whose default is READ COMMITTED would make the write functions refuse
    (DX016); the pool makes every session SERIALIZABLE first."""
    dsn = make_conninfo(
        pg_cluster.app_dsn(database), options=r"-c default_transaction_isolation=read\ committed"
    )
    with psycopg.connect(dsn) as plain:
        assert plain.execute("SHOW default_transaction_isolation").fetchone() == ("read committed",)
    async with Ledger(dsn, max_size=1) as ledger:
        account = await ledger.create_account("CASH", "Cash", "EUR")
        assert account["code"] == "CASH"
        isolation = await ledger.run(
            lambda conn: read_setting(conn, "default_transaction_isolation")
        )
        assert isolation == "serializable"


async def read_setting(conn: AsyncConnection[Row], name: str) -> str:
    cursor = await conn.execute("SELECT current_setting(%s) AS value", (name,))
    row = await cursor.fetchone()
    assert row is not None
    return str(row["value"])


async def test_a_broken_connection_has_the_pool_discard_every_dead_one(
    app_dsn: str, admin_dsn: str
) -> None:
    """Every session of the pool dies at once (a restart, a failover): the first write on a
    dead connection answers OutcomeUnknown, and the pool then checks its idle connections,
    so the next writes get live ones instead of failing one by one on the other dead ones."""
    async with Ledger(app_dsn, min_size=3, max_size=3) as ledger:
        await ledger.pool.wait()
        assert ledger.pool.get_stats()["pool_available"] == 3
        with psycopg.connect(admin_dsn, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE usename = 'doublex_app' AND datname = current_database()"
            )
        with pytest.raises(errors.OutcomeUnknown):
            await ledger.create_account("CASH-0", "Cash", "EUR")
        await ledger.discard_broken()
        for n in range(1, 4):
            account = await ledger.create_account(f"CASH-{n}", "Cash", "EUR")
            assert account["code"] == f"CASH-{n}"
