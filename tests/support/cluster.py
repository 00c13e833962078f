"""Throwaway PostgreSQL clusters for the test suites.

One cluster per test session, on a free port in a temporary folder, with durability off.
A template database is migrated once; every test gets a fresh copy of it
(CREATE DATABASE … TEMPLATE is a file copy: fast and fully isolated).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import psycopg

from doublex import localdb, migrate

TEMPLATE = "doublex_template"


class TestCluster:
    __test__ = False  # a fixture's type, not a test class

    def __init__(self, settings: Mapping[str, str] = localdb.THROWAWAY_SETTINGS) -> None:
        self._tmp = Path(tempfile.mkdtemp(prefix="doublex-test-"))
        os.chmod(self._tmp, 0o755)
        self.cluster = localdb.LocalCluster(
            root=self._tmp,
            port=localdb.free_port(),
            bindir=localdb.find_bindir(os.environ.get("DOUBLEX_PG_BINDIR")),
            settings=settings,
        )

    def start(self) -> TestCluster:
        self.cluster.start()
        return self

    def stop(self) -> None:
        try:
            self.cluster.destroy()
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def admin_dsn(self, dbname: str = "postgres") -> str:
        return self.cluster.dsn(dbname)

    def app_dsn(self, dbname: str) -> str:
        return self.cluster.dsn(dbname, user="doublex_app")

    def create_template(self) -> None:
        """Create and migrate the template every test database is copied from."""
        self.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}"')
        self.execute(f'CREATE DATABASE "{TEMPLATE}"')
        migrate.apply(self.admin_dsn(TEMPLATE))

    def create_database(self, name: str | None = None, template: str = TEMPLATE) -> str:
        name = name or f"t_{uuid.uuid4().hex[:16]}"
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        with psycopg.connect(self.admin_dsn(dbname), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]


@contextmanager
def running_cluster(
    settings: Mapping[str, str] = localdb.THROWAWAY_SETTINGS,
) -> Iterator[TestCluster]:
    """A started cluster with its migrated template, destroyed when the block ends."""
    cluster = TestCluster(settings).start()
    try:
        cluster.create_template()
        yield cluster
    finally:
        cluster.stop()
