"""Time limits end to end (issue #15): the roles' database timeouts, the request deadline,
the header and body read timeouts, the cap on connections per client address, and the
advisory locks only the ledger may take."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psycopg
import pytest

from doublex import errors
from doublex.db import Ledger
from support.cluster import TestCluster
from support.faults import request_headers
from support.serving import doublex_serve

LEGS = [
    {"account": "A", "side": "debit", "amount": "1.00", "ccy": "EUR"},
    {"account": "B", "side": "credit", "amount": "1.00", "ccy": "EUR"},
]
IDEMPOTENCY_LOCK = "SELECT pg_advisory_lock(hashtext('doublex.idempotency'), hashtext(%s))"


def accounts(admin_dsn: str) -> None:
    with psycopg.connect(admin_dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        for code in ("A", "B"):
            conn.execute("SELECT ledger.create_account(%s, %s, 'EUR')", (code, code))


def post(base: str, key: str, token: str, timeout: float = 10) -> tuple[int, dict[str, Any], float]:
    """POST /api/transfers; (status, JSON body with the Retry-After header, seconds)."""
    body = json.dumps({"idempotency_key": key, "legs": LEGS}).encode()
    request = urllib.request.Request(
        f"{base}/api/transfers", data=body, headers=request_headers(token)
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, answer, headers = response.status, response.read(), response.headers
    except urllib.error.HTTPError as exc:
        status, answer, headers = exc.code, exc.read(), exc.headers
    document = json.loads(answer) | {"Retry-After": headers.get("Retry-After")}
    return status, document, time.monotonic() - started


def account_a(base: str, token: str) -> urllib.request.Request:
    return urllib.request.Request(f"{base}/api/accounts/A", headers=request_headers(token))


def app_backends(admin_dsn: str) -> list[tuple[str, str]]:
    """(state, wait_event_type) of every session of the service's role in this database."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT state, coalesce(wait_event_type, '') FROM pg_stat_activity"
            " WHERE usename = 'doublex_service' AND datname = current_database()"
        ).fetchall()
    return [(str(state), str(wait)) for state, wait in rows]


def settled(admin_dsn: str) -> None:
    """Wait until every session of the service is idle, none waiting for a lock or sitting in a
    transaction: the call a deadline cut was cancelled on the server too."""
    waited = time.monotonic() + 5
    while any(state != "idle" or wait == "Lock" for state, wait in app_backends(admin_dsn)):
        assert time.monotonic() < waited, app_backends(admin_dsn)
        time.sleep(0.05)


# -- the database's time limits --------------------------------------------------------------


def test_the_login_roles_carry_their_time_limits(pg_cluster: TestCluster, database: str) -> None:
    expected = {
        "doublex_app": ("1min", "10s", "30s"),
        "doublex_monitor": ("5s", "1s", "10s"),
    }
    for role, limits in expected.items():
        with psycopg.connect(pg_cluster.cluster.dsn(database, user=role)) as conn:
            shown = tuple(
                str(conn.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
                for name in (
                    "statement_timeout",
                    "lock_timeout",
                    "idle_in_transaction_session_timeout",
                )
            )
        assert shown == limits, role


async def test_a_lock_wait_past_lock_timeout_is_a_503_not_a_500(
    admin_dsn: str, app_dsn: str
) -> None:
    accounts(admin_dsn)
    with psycopg.connect(admin_dsn, autocommit=True) as holder:
        holder.execute(IDEMPOTENCY_LOCK, ("default/held",))
        for option in ("-c lock_timeout=200", "-c lock_timeout=0 -c statement_timeout=200"):
            async with Ledger(f"{app_dsn} options='{option}'", min_size=1, max_size=1) as ledger:
                started = time.monotonic()
                with pytest.raises(errors.DeadlineExceeded) as caught:
                    await ledger.post_journal("held", LEGS)
                assert time.monotonic() - started < 3
                assert caught.value.http_status == 503
                assert caught.value.code == "deadline_exceeded"
                # The connection went back to the pool usable.
                freed = await ledger.post_journal("free", LEGS)
                assert freed["status"] in ("posted", "duplicate")


# -- advisory locks belong to the ledger ------------------------------------------------------

ADVISORY = """
    SELECT p.oid::regprocedure::text, p.proname, p.pronargs FROM pg_proc AS p
     WHERE p.pronamespace = 'pg_catalog'::regnamespace
       AND (p.proname LIKE 'pg\\_advisory\\_%' OR p.proname LIKE 'pg\\_try\\_advisory\\_%')
     ORDER BY 1
"""


@pytest.mark.parametrize("role", ["doublex_monitor", "doublex_app"])
def test_no_login_role_may_take_an_advisory_lock(
    pg_cluster: TestCluster, database: str, admin_dsn: str, role: str
) -> None:
    with psycopg.connect(admin_dsn) as conn:
        functions = conn.execute(ADVISORY).fetchall()
        fence = conn.execute(
            "SELECT ledger_private.close_fence_key('default', current_date, current_date - 1)"
        ).fetchone()
    assert len(functions) == 21
    calls = [f"SELECT {name}({', '.join(['42', '7'][:nargs])})" for _, name, nargs in functions] + [
        f"SELECT pg_advisory_lock({fence[0]})"
    ]  # type: ignore[index]
    with psycopg.connect(pg_cluster.cluster.dsn(database, user=role), autocommit=True) as conn:
        for call in calls:
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
                conn.execute(call)  # type: ignore[arg-type]


async def test_the_ledger_still_takes_its_locks(admin_dsn: str, ledger: Ledger) -> None:
    accounts(admin_dsn)
    first = await ledger.post_journal("k-1", LEGS)
    assert first["status"] == "posted"
    assert (await ledger.post_journal("k-1", LEGS))["status"] == "duplicate"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        yesterday = conn.execute("SELECT ledger.business_date() - 1").fetchone()[0]  # type: ignore[index]
    closed = await ledger.eod_close(yesterday)  # the close fence, exclusively
    assert closed["business_date"] == yesterday
    assert (await ledger.post_journal("k-2", LEGS))["status"] == "posted"  # shared fence


# -- the service's time limits, through a real server ----------------------------------------

LIMITS = {
    "DOUBLEX_REQUEST_DEADLINE": "0.5",
    "DOUBLEX_HEADER_TIMEOUT": "1",
    "DOUBLEX_BODY_TIMEOUT": "1",
    "DOUBLEX_CONNECTIONS_PER_CLIENT": "4",
    "DOUBLEX_POOL_MAX": "2",
    "LOG_LEVEL": "WARNING",
    # The event sequencer sequences the accounts' events at start, then waits an hour: it
    # reads accounts, and would sit behind the table lock these tests take (a session of
    # the service that `settled` would count as waiting).
    "DOUBLEX_EVENTS_SECONDS": "3600",
}


def test_the_request_deadline_answers_503_and_returns_the_connection_clean(
    admin_dsn: str, service_dsn: str, api_key: str, tmp_path: Path
) -> None:
    accounts(admin_dsn)
    with doublex_serve(service_dsn, tmp_path / "serve.log", **LIMITS) as base:
        with psycopg.connect(admin_dsn, autocommit=True) as holder:
            holder.execute(IDEMPOTENCY_LOCK, ("default/slow",))
            status, document, seconds = post(base, "slow", api_key)
            assert status == 503, document
            assert document["code"] == "deadline_exceeded"
            assert document["Retry-After"] == "1"
            assert 0.5 <= seconds < 2
            # Cancelled on the server too, and the pool serves the next request.
            settled(admin_dsn)
            assert post(base, "other", api_key)[0] == 201
        # The lock is free: the same key is posted, once.
        assert post(base, "slow", api_key)[0] == 201
        assert post(base, "slow", api_key)[0] == 200
        # A read (a READ ONLY transaction, not one statement) blocked behind a table lock.
        with psycopg.connect(admin_dsn) as holder:
            holder.execute("LOCK TABLE ledger_private.account IN ACCESS EXCLUSIVE MODE")
            started = time.monotonic()
            try:
                urllib.request.urlopen(account_a(base, api_key), timeout=10)
                raise AssertionError("the read was answered while the table was locked")
            except urllib.error.HTTPError as exc:
                assert exc.code == 503
                assert json.loads(exc.read())["code"] == "deadline_exceeded"
            assert time.monotonic() - started < 2
            settled(admin_dsn)
        with urllib.request.urlopen(account_a(base, api_key), timeout=5) as response:
            assert response.status == 200


def open_socket(port: int, source: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))
    return sock


def closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_slow_headers_and_slow_bodies_are_cut_off(service_dsn: str, tmp_path: Path) -> None:
    with doublex_serve(service_dsn, tmp_path / "serve.log", **LIMITS) as base:
        port = int(base.rsplit(":", 1)[1])
        # Headers that never end: closed after the header timeout (1 s), without an answer.
        started = time.monotonic()
        loris = open_socket(port)
        loris.sendall(b"POST /api/transfers HTTP/1.1\r\nHost: x\r\n")
        for _ in range(3):
            time.sleep(0.2)
            loris.sendall(b"X-a: b\r\n")
        assert closed_by_server(loris, within=3)
        assert 0.9 <= time.monotonic() - started < 3
        # An idle connection that never sends anything: the same.
        idle = open_socket(port)
        assert not closed_by_server(idle, within=0.5)
        assert closed_by_server(idle, within=2)
        # A body that stops short of its Content-Length: 408 and the connection closes.
        slow = open_socket(port)
        slow.sendall(
            b"POST /api/transfers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"idempotency_key"'
        )
        slow.settimeout(3)
        answer = b""
        while chunk := slow.recv(4096):
            answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), answer
        assert b"Connection: close" in head
        assert json.loads(body)["code"] == "request_timeout"


def test_connections_per_client_address_are_capped(service_dsn: str, tmp_path: Path) -> None:
    with doublex_serve(service_dsn, tmp_path / "serve.log", **LIMITS) as base:
        port = int(base.rsplit(":", 1)[1])
        held = [open_socket(port, "127.0.0.2") for _ in range(4)]
        extra = open_socket(port, "127.0.0.2")
        assert closed_by_server(extra, within=1), "a fifth connection of 127.0.0.2 was kept"
        # Another address is served while 127.0.0.2 is at its cap.
        with urllib.request.urlopen(f"{base}/api/health", timeout=5) as response:
            assert response.status == 200
        held.pop().close()
        time.sleep(0.2)
        again = open_socket(port, "127.0.0.2")
        again.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        again.settimeout(5)
        assert again.recv(1024).startswith(b"HTTP/1.1 200")
        with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
            assert "http_connections_refused_total 1.0" in response.read().decode()
        for sock in [*held, again]:
            sock.close()
