"""Holes found by the security review of #14 (tenancy and access control), each pinned by
a test that failed before its fix. (The SQL ones are in pgtap/20_security_review.sql.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
from multidict import CIMultiDict

from doublex import localdb
from doublex.config import API_ROLE, SERVICE_ROLE
from doublex.db import Ledger
from doublex.db.runner import AS_ROLE
from support.http import UNKNOWN_KEY, api, create_key, problem


def test_service_never_logs_a_request_key(pg_cluster: Any, database: str, service_dsn: str) -> None:
    """An operator who logs every statement (log_statement = all, or
    log_min_duration_statement = 0, to debug) must not find API keys in the server log: the
    service hands each request's key to the database as a bind parameter, which PostgreSQL
    logs in full by default (log_parameter_max_length = -1). Migration 0014 sets it to 0
    for doublex_service, a superuser-only setting the service cannot undo."""
    token = "dxk_0123456789ab." + "5ec7e7" * 10 + "5ec7"
    with psycopg.connect(pg_cluster.admin_dsn(database), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {database} SET log_statement = 'all'")
    log = pg_cluster.cluster.log_file
    logged_before = log.stat().st_size
    with psycopg.connect(service_dsn, autocommit=True) as conn:
        with conn.pipeline():
            conn.execute(AS_ROLE, {"role": API_ROLE, "key": token})
            conn.execute("SELECT 'a statement after the key'")
        with psycopg.connect(pg_cluster.admin_dsn(database), autocommit=True) as admin:
            admin.execute("SELECT pg_sleep(0.2)")  # the logger flushes the lines
    with log.open("rb") as handle:
        handle.seek(logged_before)
        logged = handle.read().decode(errors="replace")
    assert "set_config('doublex.api_key'" in logged and "a statement after the key" in logged
    assert token not in logged and token.partition(".")[2] not in logged


async def test_two_authorization_headers_are_refused(ledger: Ledger, admin_dsn: str) -> None:
    """A request with two Authorization headers is refused (RFC 9110 allows one): a proxy in
    front that checks or logs one of them and the service that acted on the other would
    disagree about who called."""
    token = create_key(admin_dsn, capabilities=["read"])["token"]
    async with api(ledger, key="") as client:
        for headers in (
            [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {UNKNOWN_KEY}")],
            [("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")],
        ):
            refused = await client.get("/api/accounts", headers=CIMultiDict(headers))
            body = await problem(refused, 401, "DX040")
            assert "one Authorization header" in body["detail"]
            assert token not in json.dumps(body)
        alone = await client.get("/api/accounts", headers={"Authorization": f"Bearer {token}"})
        assert alone.status == 200, await alone.text()


def test_serve_refuses_a_privileged_service_role(pg_cluster: Any, database: str) -> None:
    """`doublex serve` connected as a superuser (or a member of doublex_owner) would make the
    database's wall moot: its keyless calls are the admin's, and it could RESET ROLE and write
    any table. It refuses to start and names the role it should connect as."""
    environ = os.environ | {"DOUBLEX_SERVICE_DSN": pg_cluster.admin_dsn(database)}
    for name in ("MIGRATE_ON_START", "DOUBLEX_DSN"):
        environ.pop(name, None)
    port = str(localdb.free_port())
    doublex = str(Path(sys.executable).parent / "doublex")
    served = subprocess.run(
        [doublex, "serve", "--host", "127.0.0.1", "--port", port],
        env=environ, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert served.returncode != 0, served.stderr
    assert SERVICE_ROLE in served.stderr and "superuser" in served.stderr
    assert "Traceback" not in served.stderr
