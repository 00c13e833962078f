"""Migrations: a full round trip, idempotent re-runs, and sql/schema.sql without drift."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg

from doublex import migrate, schema
from support.cluster import TestCluster

ROOT = Path(__file__).resolve().parent.parent


def ledger_schemas(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ledger%' ORDER BY 1"
        ).fetchall()
    return [row[0] for row in rows]


def test_round_trip_apply_rollback_apply(pg_cluster: TestCluster) -> None:
    name = pg_cluster.create_database(template="template0")
    dsn = pg_cluster.admin_dsn(name)
    try:
        first = migrate.apply(dsn)
        expected = sorted(
            p.stem for p in (ROOT / "migrations").glob("[0-9]*.sql") if ".rollback." not in p.name
        )
        assert first.applied == expected
        before = schema.dump(dsn)

        rolled = migrate.rollback(dsn, count=0)
        assert rolled.rolled_back == list(reversed(first.applied))
        assert ledger_schemas(dsn) == []
        assert migrate.status(dsn).pending == first.applied

        again = migrate.apply(dsn)
        assert again.applied == first.applied
        assert schema.dump(dsn) == before
    finally:
        pg_cluster.drop_database(name)


def test_rollback_reverts_only_the_latest(pg_cluster: TestCluster) -> None:
    name = pg_cluster.create_database(template="template0")
    dsn = pg_cluster.admin_dsn(name)
    try:
        applied = migrate.apply(dsn).applied
        assert migrate.rollback(dsn).rolled_back == [applied[-1]]
        assert migrate.status(dsn).pending == [applied[-1]]
        assert migrate.apply(dsn).applied == [applied[-1]]
    finally:
        pg_cluster.drop_database(name)


def test_second_run_changes_nothing(admin_dsn: str) -> None:
    before = schema.dump(admin_dsn)
    report = migrate.apply(admin_dsn)
    assert report.applied == []
    assert schema.dump(admin_dsn) == before


def test_schema_file_matches_migrations(pg_cluster: TestCluster) -> None:
    committed = (ROOT / "sql" / "schema.sql").read_text(encoding="utf-8")
    fresh = schema.dump_fresh(pg_cluster.admin_dsn())
    assert fresh == committed, (
        "sql/schema.sql drifted from migrations/ and procedures/: run `make schema`"
    )


def test_every_migration_has_a_rollback_and_depends_line() -> None:
    forward = sorted(
        p for p in (ROOT / "migrations").glob("[0-9]*.sql") if ".rollback." not in p.name
    )
    assert forward
    previous = ""
    for path in forward:
        assert path.with_name(path.stem + ".rollback.sql").exists(), f"{path.name} has no rollback"
        text = path.read_text(encoding="utf-8")
        assert f"-- depends: {previous}".rstrip() in text, (
            f"{path.name} must depend on {previous!r}"
        )
        previous = path.stem


def test_makemigration_creates_numbered_pair(tmp_path: Path) -> None:
    script = ROOT / "shell" / "scripts" / "makemigration.py"
    sandbox = tmp_path / "shell" / "scripts"
    sandbox.mkdir(parents=True)
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "0007_earlier.sql").write_text("-- depends:\n")
    copy = sandbox / "makemigration.py"
    copy.write_text(script.read_text())
    result = subprocess.run(
        [sys.executable, str(copy), "add", "holds"], capture_output=True, text=True, check=True
    )
    assert "0008_add_holds.sql" in result.stdout
    created = (tmp_path / "migrations" / "0008_add_holds.sql").read_text()
    assert "-- depends: 0007_earlier" in created
    assert (tmp_path / "migrations" / "0008_add_holds.rollback.sql").exists()
