"""The fault suite: a real service on a real cluster under load, while (1) random service
backends are terminated every few hundred milliseconds, (2) a backend is SIGKILLed every
few seconds, which makes PostgreSQL reset every session and run crash recovery, (3) the
service process itself is SIGKILLed and restarted. Clients replay the same idempotency key
on a 503 or a broken connection (support/faults.py). After each: no acknowledged journal is
missing, no key has two journals, debits = credits per currency, every balance is the sum
of its legs, and no request was answered 500.

The cluster is the suite's own, with synchronous_commit on: a commit the service
acknowledged is in the WAL on disk before the answer (fsync stays off: the operating system
outlives the crashes made here).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from doublex import localdb
from doublex.config import SERVICE_ROLE
from support.cluster import TestCluster, running_cluster
from support.faults import ACCOUNTS, SERVICE_ENV, Tally, load
from support.http import create_key
from support.invariants import assert_ledger_invariants
from support.serving import Service

LOAD_SECONDS = 8
WORKERS = 6
# The service's sessions: every client session of the database but the admin's own (the
# service's role may change; the admin opens no other session while the faults strike).
SERVICE_BACKENDS = """
    SELECT pid FROM pg_stat_activity
     WHERE usename <> current_user AND datname = current_database()
       AND backend_type = 'client backend'
     ORDER BY random() LIMIT 1
"""


@pytest.fixture(scope="module")
def fault_cluster() -> Iterator[TestCluster]:
    with running_cluster({**localdb.THROWAWAY_SETTINGS, "synchronous_commit": "on"}) as cluster:
        yield cluster


@pytest.fixture
def books(fault_cluster: TestCluster) -> Iterator[str]:
    """A fresh database with the suite's accounts; its name."""
    name = fault_cluster.create_database()
    with psycopg.connect(fault_cluster.admin_dsn(name)) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        for code, ccy in ACCOUNTS:
            conn.execute("SELECT ledger.create_account(%s, %s, %s)", (code, code, ccy))
    try:
        yield name
    finally:
        fault_cluster.drop_database(name)


def service_backend(admin_dsn: str) -> int | None:
    """A random session of the service, or None (also while recovering)."""
    try:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=2) as conn:
            row = conn.execute(SERVICE_BACKENDS).fetchone()
    except psycopg.OperationalError:
        return None
    return int(row[0]) if row else None


def terminate(admin_dsn: str) -> bool:
    try:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=2) as conn:
            row = conn.execute(f"SELECT pg_terminate_backend(pid) FROM ({SERVICE_BACKENDS}) AS b")
            return bool((row.fetchone() or [False])[0])
    except psycopg.OperationalError:
        return False


def crash(admin_dsn: str) -> bool:
    pid = service_backend(admin_dsn)
    if pid is None:
        return False
    os.kill(pid, signal.SIGKILL)
    return True


async def under_fault(
    service: Service,
    token: str,
    fault: Callable[[], bool],
    every: tuple[float, float],
    strikes: int,
) -> tuple[Tally, int]:
    """Load the service for LOAD_SECONDS, and on until the fault struck `strikes` times (a
    loaded machine restarts a service slowly), while `fault` runs every U(every) seconds;
    (what the clients saw, how many times the fault struck)."""
    tally = Tally()
    struck = 0
    stop = asyncio.Event()
    minimum_until = time.monotonic() + LOAD_SECONDS

    def done() -> bool:
        return time.monotonic() >= minimum_until and struck >= strikes

    async def strike() -> None:
        nonlocal struck
        while not stop.is_set():
            await asyncio.sleep(random.uniform(*every))
            if not stop.is_set() and await asyncio.to_thread(fault):
                struck += 1

    striker = asyncio.create_task(strike())
    try:
        await load(service.base, token, WORKERS, done, tally)
    finally:
        stop.set()
        await striker
    return tally, struck


def check(admin_dsn: str, tally: Tally, struck: int, mode: str) -> None:
    """The outcome the issue demands, and a report line (pytest -s shows it)."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        journals = dict(
            conn.execute(
                "SELECT idempotency_key, journal_id::text FROM ledger_private.journal"
                " WHERE idempotency_key LIKE 'fault-%'"
            ).fetchall()
        )
        duplicated = conn.execute(
            "SELECT count(*) FROM (SELECT FROM ledger_private.journal"
            " GROUP BY tenant, idempotency_key HAVING count(*) > 1) AS d"
        ).fetchone()[0]  # type: ignore[index]
    lost = [k for k, journal in tally.acknowledged.items() if journals.get(k) != journal]
    errors_500 = tally.answers.get(500, 0)
    print(
        f"\nfault suite [{mode}]: struck {struck}, acknowledged {len(tally.acknowledged)},"
        f" journals {len(journals)}, lost {len(lost)}, duplicated {duplicated},"
        f" 500s {errors_500}, replays {tally.replays} (503: {tally.answers.get(503, 0)},"
        f" broken: {tally.broken}), answers {dict(sorted(tally.answers.items()))}"
    )
    assert lost == [], f"acknowledged journals missing: {lost[:5]}"
    assert duplicated == 0
    assert errors_500 == 0, tally.unexpected[:5]
    assert tally.unexpected == [], tally.unexpected[:5]
    assert_ledger_invariants(admin_dsn)
    # Journals nobody acknowledged may exist (the answer was lost with its connection, and
    # the replay answered 200): never more than the keys that were sent.
    assert set(journals) == set(tally.acknowledged)
    assert len(tally.acknowledged) >= 50, "the load made too little progress to prove much"
    assert tally.replays > 0, "no client ever saw the fault"


def serve(fault_cluster: TestCluster, books: str, tmp_path: Path) -> tuple[Service, str]:
    """The service on the service role's DSN only, and a key of tenant default to post with."""
    service = Service(
        fault_cluster.cluster.dsn(books, user=SERVICE_ROLE),
        tmp_path / "serve.log",
        **SERVICE_ENV,
    )
    service.start()
    return service, create_key(fault_cluster.admin_dsn(books), capabilities=["post"])["token"]


def test_backends_terminated_every_few_hundred_ms(
    fault_cluster: TestCluster, books: str, tmp_path: Path
) -> None:
    admin_dsn = fault_cluster.admin_dsn(books)
    service, token = serve(fault_cluster, books, tmp_path)
    try:
        tally, struck = asyncio.run(
            under_fault(service, token, lambda: terminate(admin_dsn), (0.2, 0.4), strikes=10)
        )
    finally:
        service.stop()
    assert struck >= 10
    check(admin_dsn, tally, struck, "pg_terminate_backend every 0.2-0.4 s")


def test_backend_sigkilled_every_few_seconds_forces_crash_recovery(
    fault_cluster: TestCluster, books: str, tmp_path: Path
) -> None:
    admin_dsn = fault_cluster.admin_dsn(books)
    log = fault_cluster.cluster.log_file
    crashes_before = log.read_text().count("terminated by signal 9")
    service, token = serve(fault_cluster, books, tmp_path)
    try:
        tally, struck = asyncio.run(
            under_fault(service, token, lambda: crash(admin_dsn), (2.0, 3.0), strikes=2)
        )
    finally:
        service.stop()
    recovered = log.read_text().count("terminated by signal 9") - crashes_before
    assert struck >= 2 and recovered == struck, (struck, recovered)
    check(admin_dsn, tally, struck, "SIGKILL of a backend every 2-3 s (crash recovery)")


def test_service_killed_and_restarted_mid_load(
    fault_cluster: TestCluster, books: str, tmp_path: Path
) -> None:
    admin_dsn = fault_cluster.admin_dsn(books)
    service, token = serve(fault_cluster, books, tmp_path)

    def restart() -> bool:
        service.kill()
        time.sleep(0.2)
        service.start()
        return True

    try:
        tally, struck = asyncio.run(under_fault(service, token, restart, (1.5, 2.5), strikes=2))
    finally:
        service.stop()
    assert struck >= 2
    check(admin_dsn, tally, struck, "service SIGKILLed and restarted every 1.5-2.5 s")
