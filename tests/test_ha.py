"""High availability with pg_auto_failover (doublex.ha, `doublex ha`): a real monitor, a
primary and a synchronous standby on this machine, their keepers running.

The failover test: the REST service connects with the formation's multi-host URI
(target_session_attrs=read-write) while clients post transfers and replay the same
idempotency key on a 503 or a broken connection (support/faults.py); the primary's
postmaster is SIGKILLed. After the standby's promotion: no acknowledged journal is missing,
no key has two journals, the ledger's invariants hold, the unavailability window (first
failed to first acknowledged write after the kill) is at most 30 s, and the old primary
comes back as the new standby with every acknowledged journal.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from doublex import ha, localdb
from doublex.cli import main
from doublex.config import SERVICE_ROLE
from support.faults import ACCOUNTS, Tally, load
from support.http import create_key
from support.invariants import assert_ledger_invariants
from support.serving import Service

WORKERS = 6
LOAD_BEFORE = 3.0  # seconds of load before the kill
LOAD_AFTER = 4.0  # seconds of acknowledged load after the first write that succeeds again
UNAVAILABILITY_BAR = 30.0
SERVICE_ENV = {
    "DOUBLEX_POOL_MAX": "4",
    "DOUBLEX_POOL_TIMEOUT": "2",
    "DOUBLEX_REQUEST_DEADLINE": "3",
    "DOUBLEX_ROLLUP_SECONDS": "1",
    "LOG_LEVEL": "WARNING",
}


def free_port_base() -> int:
    """A port whose next two are free too (the monitor and the two nodes)."""
    for _ in range(50):
        base = localdb.free_port()
        if base + 2 > 65535:
            continue
        taken = False
        for port in (base + 1, base + 2):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                taken = taken or sock.connect_ex(("127.0.0.1", port)) == 0
        if not taken:
            return base
    raise RuntimeError("no three consecutive free ports")


@pytest.fixture(scope="module")
def formation() -> Iterator[ha.LocalFormation]:
    """A formation of the module's own, created through `doublex ha init` (DoubleX database
    migrated on the primary), destroyed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="doublex-ha-"))
    os.chmod(folder, 0o755)
    runner = CliRunner()
    created = ha.formation_at(folder, free_port_base(), os.environ.get("DOUBLEX_PG_BINDIR"))
    try:
        result = runner.invoke(
            main, ["ha", "init", "--dir", str(folder), "--port-base", str(created.port_base)]
        )
        assert result.exit_code == 0, result.output
        assert result.stdout.strip() == created.uri()
        with psycopg.connect(created.uri()) as conn:
            conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
            for code, ccy in ACCOUNTS:
                conn.execute("SELECT ledger.create_account(%s, %s, %s)", (code, code, ccy))
        yield created
    finally:
        created.destroy()
        shutil.rmtree(folder, ignore_errors=True)


def node_dsn(node: ha.Node, dbname: str = "doublex") -> str:
    return f"host={ha.HOST} port={node.port} user={localdb.SUPERUSER} dbname={dbname}"


def test_the_formation_is_a_primary_and_a_synchronous_standby(
    formation: ha.LocalFormation,
) -> None:
    """The standby is a synchronous one (a commit is acknowledged once it is on both), the
    servers listen on loopback only and over TLS, and the standby has the migrated
    database."""
    primary = formation.primary()
    (standby,) = [node for node in formation.nodes if node != primary]
    with psycopg.connect(node_dsn(primary), autocommit=True) as conn:
        names = conn.execute("SHOW synchronous_standby_names").fetchone()
        assert names is not None and names[0].startswith("ANY 1 (")
        replication = conn.execute(
            "SELECT sync_state, state FROM pg_stat_replication WHERE application_name LIKE"
            " 'pgautofailover_standby_%'"
        ).fetchall()
        assert replication == [("quorum", "streaming")]
        assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
        tls = conn.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        assert tls.fetchone() == (True,)
    with pytest.raises(psycopg.OperationalError):  # TCP without TLS is refused
        psycopg.connect(node_dsn(primary) + " sslmode=disable", connect_timeout=5).close()
    with psycopg.connect(node_dsn(standby), autocommit=True) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        accounts = conn.execute("SELECT count(*) FROM ledger_private.account").fetchone()
        assert accounts == (len(ACCOUNTS),)


def test_the_cli_shows_the_nodes_and_the_uri(formation: ha.LocalFormation) -> None:
    runner = CliRunner()
    folder = str(formation.root)
    status = runner.invoke(main, ["ha", "status", "--dir", folder])
    assert status.exit_code == 0, status.output
    lines = status.output.splitlines()
    assert lines[0].split() == [
        "name", "node", "host:port", "tli", "lsn", "state", "assigned", "healthy",
    ]  # fmt: skip
    states = sorted(line.split()[5] for line in lines[2:])
    assert states == ["primary", "secondary"]
    uri = runner.invoke(main, ["ha", "uri", "--dir", folder, "--user", SERVICE_ROLE])
    ports = ",".join(f"{ha.HOST}:{node.port}" for node in formation.nodes)
    assert uri.output.strip() == (
        f"postgresql://{SERVICE_ROLE}@{ports}/doublex"
        "?target_session_attrs=read-write&sslmode=require"
    )
    other = runner.invoke(main, ["ha", "init", "--dir", folder, "--port-base", "1999"])
    assert other.exit_code != 0 and "uses ports from" in other.output


def test_a_killed_primary_loses_no_acknowledged_journal(
    formation: ha.LocalFormation, tmp_path: Path
) -> None:
    uri = formation.uri()
    token = create_key(uri, capabilities=["post"])["token"]
    service = Service(formation.uri(SERVICE_ROLE), tmp_path / "serve.log", **SERVICE_ENV)
    service.start()
    old = formation.primary()
    tally = Tally()
    killed_at = 0.0

    def done() -> bool:
        if not killed_at:
            return False
        back = [at for at, ok in tally.timeline if at > killed_at and ok]
        return bool(back) and time.monotonic() > max(back[0], killed_at) + LOAD_AFTER

    async def scenario() -> None:
        nonlocal killed_at
        clients = asyncio.create_task(load(service.base, token, WORKERS, done, tally))
        await asyncio.sleep(LOAD_BEFORE)
        killed_at = time.monotonic()
        os.kill(formation.postmaster_pid(old), signal.SIGKILL)
        await clients

    try:
        asyncio.run(scenario())
    finally:
        service.stop()
    new = formation.primary()
    window = tally.unavailable(killed_at)
    journals = check(uri, tally)
    print(
        f"\nfailover: {old.name} -> {new.name}, unavailable {window:.2f} s, acknowledged"
        f" {len(tally.acknowledged)}, journals {len(journals)}, replays {tally.replays}"
        f" (503: {tally.answers.get(503, 0)}, broken: {tally.broken})"
    )
    assert new != old, "the standby was not promoted"
    assert window <= UNAVAILABILITY_BAR
    assert tally.replays > 0, "no client ever saw the failover"
    # The old primary comes back as the standby of the new one, with every journal.
    formation.wait_for(lambda states: ha._settled(states, 2), timeout=60)
    with psycopg.connect(node_dsn(old), autocommit=True) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
        deadline = time.monotonic() + 30
        while True:
            row = conn.execute(
                "SELECT count(*) FROM ledger_private.journal WHERE idempotency_key LIKE 'fault-%'"
            ).fetchone()
            if (row and row[0] == len(journals)) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert row == (len(journals),)


def check(uri: str, tally: Tally) -> dict[str, str]:
    """0 lost, 0 duplicates, the ledger's invariants, no unexpected answer; the journals."""
    with psycopg.connect(uri, autocommit=True) as conn:
        journals = dict(
            conn.execute(
                "SELECT idempotency_key, journal_id::text FROM ledger_private.journal"
                " WHERE idempotency_key LIKE 'fault-%'"
            ).fetchall()
        )
    lost = [k for k, journal in tally.acknowledged.items() if journals.get(k) != journal]
    assert lost == [], f"acknowledged journals missing: {lost[:5]}"
    assert tally.unexpected == [], tally.unexpected[:5]
    assert_ledger_invariants(uri)  # at most one journal per key among them
    assert set(journals) == set(tally.acknowledged)
    assert len(tally.acknowledged) >= 50, "the load made too little progress to prove much"
    return journals
