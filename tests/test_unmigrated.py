"""A reachable database without the ledger's schema (never migrated, or behind this
version): `doublex serve` refuses to start on it and names `doublex migrate`; a service
already running answers 503 `migrations_pending`, and /api/health says "migrations pending",
not "unreachable"."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from doublex import localdb, migrate
from doublex.api import create_app
from doublex.config import API_ROLE, SERVICE_ROLE
from doublex.db import Ledger
from support.cluster import TestCluster
from support.http import UNKNOWN_KEY, problem, serving

BIN = Path(sys.executable).parent


@pytest.fixture
def bare_database(pg_cluster: TestCluster) -> Iterator[str]:
    """A database of the test cluster that was never migrated (the roles are the cluster's)."""
    name = pg_cluster.create_database(template="template0")
    try:
        yield name
    finally:
        pg_cluster.drop_database(name)


def test_serve_refuses_a_database_with_pending_migrations(
    pg_cluster: TestCluster, bare_database: str
) -> None:
    environ = os.environ | {
        "DOUBLEX_DSN": pg_cluster.admin_dsn(bare_database),
        "DOUBLEX_SERVICE_DSN": pg_cluster.cluster.dsn(bare_database, user=SERVICE_ROLE),
    }
    environ.pop("MIGRATE_ON_START", None)
    port = str(localdb.free_port())
    served = subprocess.run(
        [str(BIN / "doublex"), "serve", "--host", "127.0.0.1", "--port", port],
        env=environ, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert served.returncode != 0
    assert "pending migration" in served.stderr and "doublex migrate" in served.stderr
    assert migrate.known()[0] in served.stderr
    assert "Traceback" not in served.stderr


async def test_a_running_service_says_migrations_pending(
    pg_cluster: TestCluster, bare_database: str
) -> None:
    dsn = pg_cluster.cluster.dsn(bare_database, user=SERVICE_ROLE)
    # A well-formed key passes the service's syntax check, so the requests reach the ledger.
    async with (
        Ledger(dsn, min_size=1, max_size=2, act_as=API_ROLE) as ledger,
        serving(create_app(ledger, migrations=migrate.known()), UNKNOWN_KEY) as client,
    ):
        health = await client.get("/api/health")
        assert health.status == 503
        body = await health.json()
        assert (body["status"], body["database"]) == ("unavailable", "migrations pending")
        await problem(await client.get("/api/accounts"), 503, "migrations_pending")
        posted = await client.post("/api/transfers", json={"idempotency_key": "k", "legs": []})
        await problem(posted, 503, "migrations_pending")
