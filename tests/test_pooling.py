"""SQL clients behind PgBouncer in transaction mode, as README "Connection pooling" deploys
them: the role's settings reach the pooled server connections, and many clients sharing a
few server connections post exactly, idempotently and at SERIALIZABLE.

The pooler is the benchmark's own (bench/pooler.py), a real PgBouncer on a free port.
"""

from __future__ import annotations

import sys
import threading
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import errors as pg_errors
from psycopg.conninfo import make_conninfo
from psycopg.types.json import Jsonb

from support.invariants import assert_ledger_invariants

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import pooler

CLIENTS = 16
SERVER_CONNECTIONS = 4
POSTINGS_PER_CLIENT = 15
ACCOUNTS = ("POOL-A", "POOL-B", "POOL-C")
READ_ONLY = ("SET default_transaction_read_only = on",)


@pytest.fixture
def bouncer(app_dsn: str, database: str) -> Iterator[pooler.Pooler]:
    aliases = {database: (), f"{database}_ro": READ_ONLY}
    with pooler.pgbouncer(app_dsn, aliases, pool_size=SERVER_CONNECTIONS) as running:
        yield running


def pooled_connect(running: pooler.Pooler, dbname: str) -> psycopg.Connection[tuple[Any, ...]]:
    # A client of a transaction pooler cannot keep named prepared statements (PgBouncer
    # < 1.21): psycopg must not prepare any.
    dsn = make_conninfo(host=running.host, port=running.port, user="doublex_app", dbname=dbname)
    conn = psycopg.connect(dsn, autocommit=True)
    conn.prepare_threshold = None
    return conn


def create_accounts(app_dsn: str) -> None:
    """Three accounts and some funding, over a direct connection (doublex_app: SERIALIZABLE)."""
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        for code in ACCOUNTS:
            conn.execute("SELECT ledger.create_account(%s, %s, 'EUR')", (code, f"{code} account"))
        funding = [
            {"account": "POOL-A", "side": "debit", "amount": "1000.00", "ccy": "EUR"},
            {"account": "POOL-B", "side": "credit", "amount": "1000.00", "ccy": "EUR"},
        ]
        conn.execute("SELECT ledger.post_journal('pool-funding', %s)", (Jsonb(funding),))


def transfer(client: int, n: int) -> tuple[str, Jsonb]:
    """A deterministic transfer: the same (client, n) is the same request, so a replay of it
    must answer 'duplicate' with the first journal's id."""
    source, target = ACCOUNTS[(client + n) % 3], ACCOUNTS[(client + n + 1) % 3]
    amount = Decimal(client * 100 + n + 1) / 100
    legs = [
        {"account": source, "side": "debit", "amount": str(amount), "ccy": "EUR"},
        {"account": target, "side": "credit", "amount": str(amount), "ccy": "EUR"},
    ]
    return f"pool-{client}-{n}", Jsonb(legs)


def post(conn: psycopg.Connection[tuple[Any, ...]], key: str, legs: Jsonb) -> tuple[str, str]:
    """post_journal with the retry every SERIALIZABLE client owes 40001 and 40P01."""
    for _ in range(50):
        try:
            row = conn.execute(
                "SELECT journal_id::text, status FROM ledger.post_journal(%s, %s)", (key, legs)
            ).fetchone()
            assert row is not None
            return str(row[0]), str(row[1])
        except (pg_errors.SerializationFailure, pg_errors.DeadlockDetected):
            continue
    raise AssertionError(f"{key}: still conflicting after 50 attempts")


def test_role_settings_and_connect_query_reach_pooled_connections(
    bouncer: pooler.Pooler, database: str
) -> None:
    with pooled_connect(bouncer, database) as conn:
        assert conn.execute("SHOW transaction_isolation").fetchone() == ("serializable",)
        assert conn.execute("SHOW search_path").fetchone() == ("ledger",)
        assert conn.execute("SHOW transaction_read_only").fetchone() == ("off",)
    with pooled_connect(bouncer, f"{database}_ro") as conn:
        assert conn.execute("SHOW transaction_read_only").fetchone() == ("on",)
        with pytest.raises(pg_errors.ReadOnlySqlTransaction):
            conn.execute("SELECT ledger.create_account('POOL-RO', 'refused', 'EUR', 'asset')")


def test_many_clients_over_few_server_connections_post_exactly_once(
    bouncer: pooler.Pooler, database: str, admin_dsn: str, app_dsn: str
) -> None:
    create_accounts(app_dsn)
    answers: dict[str, set[tuple[str, str]]] = {}
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)

    def client(number: int) -> None:
        try:
            with pooled_connect(bouncer, database) as conn:
                start.wait()
                for n in range(POSTINGS_PER_CLIENT):
                    key, legs = transfer(number, n)
                    first = post(conn, key, legs)
                    replay = post(conn, key, legs)  # the same request again: a client retry
                    with lock:
                        answers.setdefault(key, set()).update({first, replay})
        except Exception as exc:
            with lock:
                failures.append(f"client {number}: {exc!r}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert not any(thread.is_alive() for thread in threads)

    # Every key: one journal, answered 'posted' once and 'duplicate' on the replay.
    assert len(answers) == CLIENTS * POSTINGS_PER_CLIENT
    for key, seen in answers.items():
        assert len({journal for journal, _ in seen}) == 1, (key, seen)
        assert Counter(status for _, status in seen) == Counter({"posted": 1, "duplicate": 1})

    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        journals = conn.execute(
            "SELECT count(*) FROM ledger_private.journal WHERE idempotency_key LIKE 'pool-%%-%%'"
        ).fetchone()
        servers = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE usename = 'doublex_app'"
            " AND datname = current_database()"
        ).fetchone()
    assert journals == (CLIENTS * POSTINGS_PER_CLIENT,)
    # The 16 clients shared at most the pool's server connections.
    assert servers is not None and 1 <= servers[0] <= SERVER_CONNECTIONS
    assert_ledger_invariants(admin_dsn)
