"""`doublex serve` as a real process: MIGRATE_ON_START migrates an empty database before
listening, and SIGTERM is graceful — a request in flight finishes, then the process exits 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psycopg

from doublex import config, localdb, migrate
from doublex.config import SERVICE_ROLE
from support.cluster import TestCluster
from support.http import bearer, create_key

BIN = Path(sys.executable).parent
LEGS = [
    {"account": "1001-CASH", "side": "debit", "amount": "7.00", "ccy": "EUR"},
    {"account": "4001-SALES", "side": "credit", "amount": "7.00", "ccy": "EUR"},
]


def call(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read())


def wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, log.read_text()
        try:
            status, health = call("GET", f"{base}/api/health")
            if status == 200:
                return dict(health)
        except OSError:
            pass
        assert time.monotonic() < deadline, "the service did not become healthy"
        time.sleep(0.1)


def test_migrate_on_start_then_graceful_shutdown(pg_cluster: TestCluster, tmp_path: Path) -> None:
    empty = pg_cluster.create_database(template="template0")
    try:
        admin_dsn, app_dsn = pg_cluster.admin_dsn(empty), pg_cluster.app_dsn(empty)
        service_dsn = config.as_service_role(app_dsn)
        port = localdb.free_port()
        base = f"http://127.0.0.1:{port}"
        env = os.environ | {
            "DOUBLEX_DSN": admin_dsn,
            "DOUBLEX_SERVICE_DSN": service_dsn,
            "MIGRATE_ON_START": "true",
            "DOUBLEX_SHUTDOWN_SECONDS": "20",
        }
        log = tmp_path / "serve.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [str(BIN / "doublex"), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            health = wait_healthy(base, process, log)
            assert health["status"] == "ok"
            assert health["migrations"]["pending"] == []
            assert health["migrations"]["applied"] == len(migrate.known())
            # Migrated with the admin DSN, then that connection was closed before listening:
            # the service holds connections of the service role only.
            with psycopg.connect(admin_dsn, autocommit=True) as admin:
                users = admin.execute(
                    "SELECT DISTINCT usename::text FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchall()
            assert users == [(SERVICE_ROLE,)]
            headers = bearer(create_key(admin_dsn)["token"])

            for code, kind in (("1001-CASH", "asset"), ("4001-SALES", "income")):
                call(
                    "POST",
                    f"{base}/api/accounts",
                    {"code": code, "name": code, "ccy": "EUR", "type": kind},
                    headers,
                )

            # Hold the posting's idempotency lock so that its request stays in flight (as
            # the admin: no login role may take the ledger's advisory locks).
            with psycopg.connect(admin_dsn, autocommit=True) as holder:
                holder.execute(
                    "SELECT pg_advisory_lock(hashtext('doublex.idempotency'), "
                    "hashtext('default/in-flight'))"
                )
                answer: dict[str, Any] = {}

                def post() -> None:
                    answer["result"] = call(
                        "POST",
                        f"{base}/api/transfers",
                        {"idempotency_key": "in-flight", "legs": LEGS},
                        headers,
                    )

                poster = threading.Thread(target=post)
                poster.start()
                with psycopg.connect(admin_dsn, autocommit=True) as admin:
                    for _ in range(200):
                        waiting = admin.execute(
                            "SELECT count(*) FROM pg_stat_activity "
                            "WHERE wait_event = 'advisory' AND query LIKE '%post_journal%'"
                        ).fetchone()
                        if waiting and waiting[0]:
                            break
                        time.sleep(0.05)
                    else:
                        raise AssertionError("the posting never reached the database")
                process.send_signal(signal.SIGTERM)
                time.sleep(0.5)
                assert process.poll() is None, "the server quit with a request in flight"
                holder.execute("SELECT pg_advisory_unlock_all()")
                poster.join(timeout=20)

            status, result = answer["result"]
            assert status == 201 and result["status"] == "posted"
            assert process.wait(timeout=20) == 0
            try:
                call("GET", f"{base}/api/health")
                raise AssertionError("the server still answers after shutting down")
            except urllib.error.URLError:
                pass
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert "Traceback" not in log.read_text(), log.read_text()[-4000:]
    finally:
        pg_cluster.drop_database(empty)
