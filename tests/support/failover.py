"""The failover scenario of tests/test_ha.py and bench/failover.py: the REST service on a
formation's multi-host URI, clients posting transfers that replay the same idempotency key
on a 503 or a broken connection (support/faults.py), and the primary's postmaster
SIGKILLed under that load; what came out of it."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from click.testing import CliRunner

from doublex import ha, localdb
from doublex.cli import main
from doublex.config import SERVICE_ROLE
from support.faults import ACCOUNTS, SERVICE_ENV, Tally, load
from support.http import create_key
from support.serving import Service


@dataclass
class Outcome:
    """One failover under load."""

    lost_node: bool  # the keeper was killed too (else the postmaster only)
    old: str  # the primary that was killed
    new: str  # the primary after it
    promoted: float  # seconds from the kill until the monitor named the new primary
    unavailable: float  # seconds from the first failed to the first acknowledged write
    tally: Tally
    journals: dict[str, str]  # idempotency key → journal id, on the new primary
    duplicates: int  # keys with more than one journal

    @property
    def lost(self) -> list[str]:
        """Acknowledged keys whose journal is not the one acknowledged."""
        return [k for k, j in self.tally.acknowledged.items() if self.journals.get(k) != j]


def free_port_base() -> int:
    """The first of three consecutive ports nothing listens on (the monitor, the nodes)."""
    for _ in range(50):
        base = localdb.free_port()
        if base + 2 <= 65535 and not any(_listening(port) for port in (base + 1, base + 2)):
            return base
    raise RuntimeError("no three consecutive free ports")


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@contextmanager
def throwaway_formation() -> Iterator[ha.LocalFormation]:
    """A formation in a temporary folder on free ports, created by `doublex ha init` (the
    DoubleX database migrated on the primary; its output is the URI), destroyed after."""
    folder = Path(tempfile.mkdtemp(prefix="doublex-ha-"))
    os.chmod(folder, 0o755)
    formation = ha.formation_at(folder, free_port_base(), os.environ.get("DOUBLEX_PG_BINDIR"))
    try:
        result = CliRunner().invoke(
            main, ["ha", "init", "--dir", str(folder), "--port-base", str(formation.port_base)]
        )
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == formation.uri()
        yield formation
    finally:
        formation.destroy()
        shutil.rmtree(folder, ignore_errors=True)


def open_accounts(uri: str) -> None:
    """The accounts support/faults.py posts between."""
    with psycopg.connect(uri) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        for code, ccy in ACCOUNTS:
            conn.execute("SELECT ledger.create_account(%s, %s, %s)", (code, code, ccy))


def fail_over_under_load(
    formation: ha.LocalFormation,
    log_path: Path,
    *,
    workers: int = 6,
    before: float = 3.0,
    after: float = 4.0,
    prefix: str = "failover-",
    lose_node: bool = True,
) -> Outcome:
    """Serve the formation, load it for `before` seconds, then SIGKILL the primary's
    postmaster: with `lose_node`, after its keeper (the machine is lost: nothing restarts
    it, the monitor promotes the standby, and the old primary's keeper is started again
    once a write succeeded, to rejoin as the standby); without, under its live keeper
    (which restarts it, unless the monitor fails over first). Go on until `after` seconds
    past the first write acknowledged after the kill. The clients' idempotency keys start
    with `prefix` (one per run on the same database)."""
    formation.wait_for(lambda states: ha.settled(states, 2), timeout=120)
    formation.wait_writable()
    uri = formation.uri()
    token = create_key(uri, capabilities=["post"])["token"]
    service = Service(formation.uri(SERVICE_ROLE), log_path, **SERVICE_ENV)
    service.start()
    old = formation.primary()
    tally = Tally()
    killed_at = 0.0
    promoted: list[float] = []

    def done() -> bool:
        if not killed_at:
            return False
        back = [at for at, ok in tally.timeline if at > killed_at and ok]
        return bool(back) and time.monotonic() > back[0] + after

    finished = threading.Event()

    def watch_monitor() -> None:
        while not finished.is_set():
            try:
                if formation.primary() != old:
                    promoted.append(time.monotonic() - killed_at)
                    return
            except ha.FormationError:
                pass
            time.sleep(0.1)

    async def scenario() -> None:
        nonlocal killed_at
        clients = asyncio.create_task(load(service.base, token, workers, done, tally, prefix))
        await asyncio.sleep(before)
        killed_at = time.monotonic()
        if lose_node:
            formation.lose(old)
        else:
            os.kill(formation.postmaster_pid(old), signal.SIGKILL)
        watcher = threading.Thread(target=watch_monitor, daemon=True)
        watcher.start()
        await clients
        finished.set()
        await asyncio.to_thread(watcher.join)
        if lose_node:
            await asyncio.to_thread(formation.start_keeper, old)

    try:
        asyncio.run(scenario())
    finally:
        service.stop()
    with psycopg.connect(uri, autocommit=True) as conn:
        journals = dict(
            conn.execute(
                "SELECT idempotency_key, journal_id::text FROM ledger_private.journal"
                " WHERE idempotency_key LIKE %s",
                (f"{prefix}%",),
            ).fetchall()
        )
        duplicates = conn.execute(
            "SELECT count(*) FROM (SELECT FROM ledger_private.journal"
            " GROUP BY tenant, idempotency_key HAVING count(*) > 1) AS d"
        ).fetchone()
    return Outcome(
        lost_node=lose_node,
        old=old.name,
        new=formation.primary().name,
        promoted=promoted[0] if promoted else float("nan"),
        unavailable=tally.unavailable(killed_at),
        tally=tally,
        journals=journals,
        duplicates=int(duplicates[0]) if duplicates else 0,
    )
