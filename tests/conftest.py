"""Fixtures: one throwaway cluster per session, a migrated template, a fresh database per test.

`database` is the name of the test's own database; `admin_dsn`/`app_dsn` connect to it as
the superuser and as the application role; `ledger` is an open doublex.db.Ledger on it.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from doublex.db import Ledger, RetryPolicy
from support.cluster import TestCluster, running_cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[TestCluster]:
    with running_cluster() as cluster:
        yield cluster


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
