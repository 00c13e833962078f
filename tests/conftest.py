"""Fixtures: one throwaway cluster per session, a migrated template, a fresh database per test.

`sharded` is two shards on two servers and a PL/Proxy database over them.
`database` is the name of the test's own database; `admin_dsn`/`app_dsn`/`service_dsn`
connect to it as the superuser, as doublex_app (the SQL login of tenant `default`) and as
the REST service's role; `ledger` is an open doublex.db.Ledger on it as doublex_app;
`api_key` is a key of tenant `default` with every capability.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from doublex.config import SERVICE_ROLE
from doublex.db import Ledger, RetryPolicy
from support.cluster import TestCluster, running_cluster
from support.http import create_key
from support.sharding import Sharded, sharded_databases


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[TestCluster]:
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def second_cluster() -> Iterator[TestCluster]:
    """Another PostgreSQL server (the sharding tests' shard 1), started when first asked for."""
    with running_cluster() as cluster:
        yield cluster


@pytest.fixture
def sharded(pg_cluster: TestCluster, second_cluster: TestCluster) -> Iterator[Sharded]:
    """Two fresh shards on two servers and a PL/Proxy database over them (support.sharding)."""
    with sharded_databases(pg_cluster, second_cluster) as world:
        yield world


@pytest.fixture
def database(pg_cluster: TestCluster) -> Iterator[str]:
    name = pg_cluster.create_database()
    try:
        yield name
    finally:
        pg_cluster.drop_database(name)


@pytest.fixture
def admin_dsn(pg_cluster: TestCluster, database: str) -> str:
    return pg_cluster.admin_dsn(database)


@pytest.fixture
def app_dsn(pg_cluster: TestCluster, database: str) -> str:
    return pg_cluster.app_dsn(database)


@pytest.fixture
def service_dsn(pg_cluster: TestCluster, database: str) -> str:
    return pg_cluster.cluster.dsn(database, user=SERVICE_ROLE)


@pytest.fixture
def api_key(admin_dsn: str) -> str:
    """A key of tenant `default` with every capability, created as admin."""
    token: str = create_key(admin_dsn)["token"]
    return token


@pytest.fixture
def admin_conn(admin_dsn: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        yield conn


@pytest.fixture
async def ledger(app_dsn: str) -> AsyncIterator[Ledger]:
    # A generous retry budget: concurrency tests hammer a few rows on purpose.
    async with Ledger(
        app_dsn, min_size=1, max_size=20, retry=RetryPolicy(max_attempts=40, max_delay=0.1)
    ) as opened:
        yield opened
