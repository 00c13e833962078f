"""postgres_exporter's ledger queries on a real database, run as the monitoring role exactly
as the exporter runs them; the role's limits; and `doublex observe` as a process."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from click.testing import CliRunner
from psycopg.types.json import Jsonb

from doublex import localdb, observe
from doublex.cli import main
from support.cluster import TestCluster
from support.tenants import tenant_key, use_key

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
QUERIES: dict[str, Any] = yaml.safe_load(observe.queries_file().read_text())

Conn = psycopg.Connection[tuple[Any, ...]]


@pytest.fixture
def monitor_dsn(pg_cluster: TestCluster, database: str) -> str:
    return pg_cluster.cluster.dsn(database, user=observe.MONITOR_ROLE)


def run_query(dsn: str, name: str) -> list[dict[str, Any]]:
    with psycopg.connect(dsn) as conn:
        cursor = conn.execute(QUERIES[name]["query"])
        assert cursor.description is not None
        columns = [column.name for column in cursor.description]
        declared = [next(iter(metric)) for metric in QUERIES[name]["metrics"]]
        assert columns == declared, (name, columns, declared)
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def post(app_dsn: str, key: str, amount: str = "5.00", effective: date | None = None) -> None:
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT * FROM ledger.post_journal(idempotency_key => %s, legs => %s,"
            " effective_date => %s)",
            (
                key,
                Jsonb(
                    [
                        {"account": "1001-CASH", "side": "debit", "amount": amount, "ccy": "EUR"},
                        {"account": "4001-SALES", "side": "credit", "amount": amount, "ccy": "EUR"},
                    ]
                ),
                effective,
            ),
        )


@pytest.fixture
def books(app_dsn: str, admin_dsn: str) -> str:
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        conn.execute("SELECT ledger.create_account('1001-CASH', 'Cash', 'EUR')")
        conn.execute("SELECT ledger.create_account('4001-SALES', 'Sales', 'EUR', 'income')")
        # doublex_app is bound to default (#14): tenant acme's account through a key of acme.
        use_key(conn, tenant_key(admin_dsn, "acme"))
        conn.execute("SELECT ledger.create_account('1001-CASH', 'Cash', 'EUR', tenant => 'acme')")
    return app_dsn


def smuggle_journal(admin: Conn, created: datetime, legs: list[tuple[str, str]]) -> None:
    """A journal written around the invariant triggers (replica mode), as only a superuser
    could: what the unbalanced-journal gauge exists to notice."""
    millis = int(created.timestamp() * 1000)
    journal_id = f"{millis:012x}7000800000000000{os.urandom(2).hex()}"
    with admin.transaction():
        admin.execute("SET LOCAL session_replication_role = replica")
        admin.execute(
            "INSERT INTO ledger_private.journal (journal_id, idempotency_key, effective_date,"
            " created_by) VALUES (%s, %s, current_date, 'test:direct')",
            (journal_id, f"smuggled-{journal_id}"),
        )
        for number, (side, amount) in enumerate(legs, start=1):
            admin.execute(
                "INSERT INTO ledger_private.leg (journal_id, leg_no, tenant, account_id, side,"
                " amount, ccy, effective_date)"
                " SELECT %s, %s, 'default', account_id, %s, %s, 'EUR', current_date"
                "   FROM ledger_private.account WHERE tenant = 'default' AND code = '1001-CASH'",
                (journal_id, number, side, amount),
            )


def test_every_query_runs_as_the_monitor_role(books: str, monitor_dsn: str) -> None:
    for name in QUERIES:
        run_query(monitor_dsn, name)


def test_unbalanced_journals_counts_recent_bad_journals_only(
    books: str, monitor_dsn: str, admin_conn: Conn
) -> None:
    post(books, "fine-1")
    post(books, "fine-2")
    assert run_query(monitor_dsn, "ledger_unbalanced") == [{"journals": 0, "window_seconds": 900}]

    now = datetime.now(UTC)
    smuggle_journal(admin_conn, now, [("debit", "5.00"), ("credit", "4.99")])
    smuggle_journal(admin_conn, now, [])  # a journal without legs
    smuggle_journal(admin_conn, now, [("debit", "5.00"), ("credit", "5.00")])  # balanced
    # Older than the window: the bounded check does not look that far back, by design.
    smuggle_journal(admin_conn, now - timedelta(hours=1), [("debit", "1.00")])
    assert run_query(monitor_dsn, "ledger_unbalanced") == [{"journals": 2, "window_seconds": 900}]


def test_unbalanced_journals_query_reads_a_range_not_the_leg_table(
    books: str, admin_conn: Conn
) -> None:
    """With a history of 20,000 legs, the plan reads the recent key range of both tables."""
    admin_conn.execute("""
        SET session_replication_role = replica;
        INSERT INTO ledger_private.journal (journal_id, idempotency_key, effective_date, created_by)
        SELECT (lpad(to_hex(1600000000000 + n), 12, '0') || '7000800000000000' ||
                lpad(to_hex(n % 65536), 4, '0'))::uuid, 'old-' || n, current_date, 'test:direct'
          FROM generate_series(1, 10000) AS n;
        INSERT INTO ledger_private.leg (journal_id, leg_no, tenant, account_id, side, amount,
                                        ccy, effective_date)
        SELECT j.journal_id, s.leg_no, 'default', a.account_id, s.side, 1, 'EUR', current_date
          FROM ledger_private.journal AS j
         CROSS JOIN (VALUES (1::smallint, 'debit'), (2::smallint, 'credit')) AS s (leg_no, side)
          JOIN ledger_private.account AS a ON a.tenant = 'default' AND a.code = '1001-CASH'
         WHERE j.idempotency_key LIKE 'old-%';
        RESET session_replication_role;
        ANALYZE ledger_private.journal;
        ANALYZE ledger_private.leg;
    """)
    # The exporter calls the function; its body (a parameterless SQL query) is planned as is.
    assert QUERIES["ledger_unbalanced"]["query"].strip() == (
        "SELECT * FROM ledger.monitor_unbalanced_journals()"
    )
    row = admin_conn.execute(
        "SELECT prosrc FROM pg_proc"
        " WHERE oid = 'ledger.monitor_unbalanced_journals()'::regprocedure"
    ).fetchone()
    assert row is not None
    plan = "\n".join(
        line[0]
        for line in admin_conn.execute("EXPLAIN " + row[0]).fetchall()  # type: ignore[arg-type]
    )
    assert "Seq Scan on leg" not in plan, plan
    assert "Seq Scan on journal" not in plan, plan


def test_journals_today_per_tenant(books: str, monitor_dsn: str) -> None:
    today = datetime.now(UTC).date()
    post(books, "today-1")
    post(books, "today-2")
    post(books, "backdated", effective=today - timedelta(days=3))
    rows = {row["tenant"]: row["today"] for row in run_query(monitor_dsn, "ledger_journals")}
    assert rows == {"default": 2, "acme": 0}


def test_lock_waits_counts_sessions_waiting(books: str, monitor_dsn: str, admin_dsn: str) -> None:
    assert run_query(monitor_dsn, "ledger_lock") == [{"waiting_sessions": 0}]
    with psycopg.connect(admin_dsn) as holder:
        holder.execute("LOCK TABLE ledger_private.currency IN ACCESS EXCLUSIVE MODE")

        def wait_for_the_lock() -> None:
            with psycopg.connect(admin_dsn, autocommit=True) as waiter:
                waiter.execute("SELECT count(*) FROM ledger_private.currency")

        waiter = threading.Thread(target=wait_for_the_lock)
        waiter.start()
        try:
            deadline = time.monotonic() + 10
            while run_query(monitor_dsn, "ledger_lock") != [{"waiting_sessions": 1}]:
                assert time.monotonic() < deadline, "the waiting session was never counted"
                time.sleep(0.05)
        finally:
            holder.rollback()
            waiter.join(timeout=10)
    assert run_query(monitor_dsn, "ledger_lock") == [{"waiting_sessions": 0}]


def test_monitor_role_is_read_only_and_bounded(books: str, monitor_dsn: str) -> None:
    with psycopg.connect(monitor_dsn, autocommit=True) as conn:
        settings = dict(
            conn.execute(
                "SELECT name, setting FROM pg_settings"
                " WHERE name IN ('statement_timeout', 'default_transaction_read_only')"
            ).fetchall()
        )
        assert settings == {"statement_timeout": "5000", "default_transaction_read_only": "on"}
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("CREATE TEMP TABLE scratch (n integer)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO ledger_private.journal (journal_id, idempotency_key, effective_date)"
                " VALUES (gen_random_uuid(), 'x', current_date)"
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM ledger_private.idempotency_sentinel")
        # Monitoring asks the ledger: no table of the ledger is readable by the role itself.
        for table in ("account", "journal", "leg", "ledger_settings", "recon_outcome"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT 1 FROM ledger_private.{table} LIMIT 1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM ledger.get_balance('1001-CASH')")


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


def test_doublex_observe_runs_and_stops_the_stack(pg_cluster: TestCluster, database: str) -> None:
    """`doublex observe --no-serve` (what `make observe ARGS=--no-serve` runs): the exporter
    serves the ledger gauges, Prometheus is ready, Ctrl-C stops both."""
    prometheus_port, exporter_port = localdb.free_port(), localdb.free_port()
    env = os.environ | {
        "DOUBLEX_DSN": pg_cluster.admin_dsn(database),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [
            str(BIN / "doublex"),
            "observe",
            "--no-serve",
            "--json",
            "--prometheus-port",
            str(prometheus_port),
            "--exporter-port",
            str(exporter_port),
            "--scrape-interval",
            "1",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        record = json.loads(process.stdout.readline())
        assert record["prometheus"] == f"http://127.0.0.1:{prometheus_port}"
        assert "ledger_unbalanced_journals" in get(record["exporter"])
        assert "Prometheus" in get(f"{record['prometheus']}/-/ready")
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        for url in (record["exporter"], f"{record['prometheus']}/-/ready"):
            with pytest.raises(urllib.error.URLError):
                get(url)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_doublex_observe_in_process_for_a_while(
    pg_cluster: TestCluster, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command's own code path, with --duration: both endpoints answer meanwhile."""
    monkeypatch.setenv("DOUBLEX_DSN", pg_cluster.admin_dsn(database))
    prometheus_port, exporter_port = localdb.free_port(), localdb.free_port()
    seen: dict[str, str] = {}

    def probe() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(seen) < 2:
            for key, url in (
                ("exporter", f"http://127.0.0.1:{exporter_port}/metrics"),
                ("prometheus", f"http://127.0.0.1:{prometheus_port}/-/ready"),
            ):
                with contextlib.suppress(urllib.error.URLError, OSError):
                    seen[key] = get(url)
            time.sleep(0.1)

    prober = threading.Thread(target=probe)
    prober.start()
    result = CliRunner().invoke(
        main,
        [
            "observe",
            "--no-serve",
            "--json",
            "--duration",
            "4",
            "--prometheus-port",
            str(prometheus_port),
            "--exporter-port",
            str(exporter_port),
        ],
    )
    prober.join()
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["exporter"] == f"http://127.0.0.1:{exporter_port}/metrics"
    gauges = [line for line in seen["exporter"].splitlines() if line.startswith("ledger_")]
    assert any(line.startswith("ledger_unbalanced_journals{") for line in gauges), gauges
    assert "Prometheus" in seen["prometheus"]


def test_exporter_dsn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOUBLEX_MONITOR_DSN", raising=False)
    assert (
        observe.exporter_dsn("host=db.internal port=6543 dbname='my db' user=admin password=x")
        == "postgresql://doublex_monitor@db.internal:6543/my%20db?sslmode=disable"
    )
    assert observe.exporter_dsn("dbname=doublex sslmode=require") == (
        "postgresql://doublex_monitor@127.0.0.1:5432/doublex?sslmode=require"
    )
    monkeypatch.setenv("DOUBLEX_MONITOR_DSN", "postgresql://m:secret@db/doublex")
    assert observe.exporter_dsn("dbname=other") == "postgresql://m:secret@db/doublex"


def test_find_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOUBLEX_PROMETHEUS", "/opt/prometheus/bin/prometheus")
    assert observe.find_binary("DOUBLEX_PROMETHEUS", "prometheus") == (
        "/opt/prometheus/bin/prometheus"
    )
    monkeypatch.delenv("DOUBLEX_PROMETHEUS")
    with pytest.raises(FileNotFoundError, match="make deps"):
        observe.find_binary("DOUBLEX_PROMETHEUS", "no-such-prometheus-binary")


def test_a_child_that_dies_at_start_stops_the_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOUBLEX_POSTGRES_EXPORTER", "/bin/false")
    stack = observe.Stack(
        admin_dsn="dbname=doublex",
        service="127.0.0.1:1",
        workdir=tmp_path / "observe",
        exporter_port=localdb.free_port(),
    )
    with pytest.raises(RuntimeError, match="the process exited"), stack:
        pass
    assert stack.processes == []


def test_waiting_gives_up_and_stopping_kills_what_ignores_sigterm(tmp_path: Path) -> None:
    log = tmp_path / "stubborn.log"
    stack = observe.Stack(admin_dsn="", service="", workdir=tmp_path, stop_seconds=0.2)
    stubborn = stack._spawn(["sh", "-c", "trap '' TERM; sleep 30"], log, {})
    with pytest.raises(TimeoutError):
        observe.wait_http(f"http://127.0.0.1:{localdb.free_port()}/", stubborn, 0.3, log)
    time.sleep(0.2)  # let the shell install its trap
    stack.stop()
    assert stubborn.returncode == -signal.SIGKILL
