"""Holes found by the security review of #14 (tenancy and access control), each pinned by
a test that failed before its fix. (The SQL ones are in pgtap/19_security_review.sql.)"""

from __future__ import annotations

import json
from typing import Any

import psycopg
from multidict import CIMultiDict

from doublex.config import API_ROLE
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
