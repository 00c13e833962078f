"""Rules in one place and rollbacks that undo exactly their migration.

- One home: every function of the ledger's schemas in a migrated database is defined by
  exactly one file under procedures/, and its body in the catalog is that file's body (so a
  migration's historical first version never survives a migrate).
- Rolling back migration N leaves the schema a fresh database migrated to N-1 has, for
  every N.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from yoyo import get_backend, read_migrations

from doublex import migrate, schema
from support.cluster import TestCluster

ROOT = Path(__file__).resolve().parent.parent
PROCEDURES = ROOT / "procedures"

# A function definition in a procedures/ or migrations/ file: its qualified name, then its
# dollar-quoted body (the tag may be $$ or $name$).
DEFINITION = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+(?P<name>[a-z_]+\.[a-z_0-9]+)\s*\(.*?"
    r"\bAS\s+(?P<tag>\$[a-z_]*\$)(?P<body>.*?)(?P=tag)",
    re.IGNORECASE | re.DOTALL,
)

PROJECT_FUNCTIONS = """
    SELECT n.nspname || '.' || p.proname, p.oid::regprocedure::text, p.prosrc
      FROM pg_proc AS p
      JOIN pg_namespace AS n ON n.oid = p.pronamespace
     WHERE n.nspname IN ('ledger', 'ledger_private')
        OR n.nspowner = 'doublex_owner'::regrole
     ORDER BY 2
"""


@dataclass(frozen=True)
class Definition:
    file: str
    name: str
    body: str


def definitions(folder: Path, pattern: str) -> list[Definition]:
    found = []
    for path in sorted(folder.glob(pattern)):
        text = path.read_text(encoding="utf-8")
        for match in DEFINITION.finditer(text):
            found.append(
                Definition(str(path.relative_to(ROOT)), match["name"].lower(), match["body"])
            )
    return found


def procedure_definitions() -> list[Definition]:
    return definitions(PROCEDURES, "**/*.sql")


# A later migration's DROP FUNCTION: the function's history ends there (no file in
# procedures/ is expected for it).
DROPPED = re.compile(
    r"^DROP\s+FUNCTION\s+(?:IF\s+EXISTS\s+)?(?P<name>[a-z_]+\.[a-z_0-9]+)", re.IGNORECASE | re.M
)


def migration_definitions() -> list[Definition]:
    """The functions migrations create, but those a migration drops for good."""
    forward = [p for p in sorted((ROOT / "migrations").glob("[0-9]*.sql"))
               if not p.name.endswith(".rollback.sql")]  # fmt: skip
    dropped = {m["name"].lower() for p in forward for m in DROPPED.finditer(p.read_text())}
    return [
        d
        for d in definitions(ROOT / "migrations", "[0-9]*.sql")
        if not d.file.endswith(".rollback.sql") and d.name not in dropped
    ]


def test_every_procedures_file_defines_one_function() -> None:
    per_file: dict[str, int] = {}
    for d in procedure_definitions():
        per_file[d.file] = per_file.get(d.file, 0) + 1
    files = sorted(str(p.relative_to(ROOT)) for p in PROCEDURES.glob("**/*.sql"))
    assert sorted(per_file) == files, "a procedures file defines no function"
    assert {f: n for f, n in per_file.items() if n != 1} == {}


def test_every_function_has_one_home_in_procedures(admin_dsn: str) -> None:
    """In a migrated database, each function of the project's schemas is created by exactly
    one file under procedures/ whose body is the catalog's, and each file matches one."""
    files = procedure_definitions()
    with psycopg.connect(admin_dsn) as conn:
        catalog = conn.execute(PROJECT_FUNCTIONS).fetchall()
    assert len(catalog) > 50
    homes: dict[str, list[str]] = {}
    for name, signature, body in catalog:
        homes[signature] = [d.file for d in files if d.name == name and d.body == body]
    assert {sig: found for sig, found in homes.items() if len(found) != 1} == {}
    used = sorted(file for found in homes.values() for file in found)
    assert used == sorted(d.file for d in files), "a procedures file matches no function"


def test_functions_first_defined_in_migrations_are_replaced_by_their_file(admin_dsn: str) -> None:
    """A landed migration's CREATE FUNCTION is the historical first version: each has a
    file in procedures/, and after migrate the catalog holds that file's body."""
    by_name = {d.name: d for d in procedure_definitions()}
    historical = migration_definitions()
    assert len(historical) >= 14
    with psycopg.connect(admin_dsn) as conn:
        bodies = {name: body for name, _, body in conn.execute(PROJECT_FUNCTIONS).fetchall()}
    for old in historical:
        assert old.name in by_name, f"{old.name} ({old.file}) has no file in procedures/"
        assert bodies[old.name] == by_name[old.name].body, old.name


# -- Rollbacks ---------------------------------------------------------------------------------


def procedure_only_names() -> set[str]:
    """Functions no migration creates: post-apply makes them from procedures/ after every
    migrate, and they cannot be created on an intermediate schema (they use later types)."""
    return {d.name for d in procedure_definitions()} - {d.name for d in migration_definitions()}


@contextmanager
def yoyo(dsn: str) -> Iterator[Any]:
    backend = get_backend(migrate.yoyo_url(dsn))
    try:
        yield backend
    finally:
        backend.connection.close()


def only(migrations: Any, ids: list[str]) -> Any:
    return migrations.__class__([m for m in migrations if m.id in ids])


def dump_without_procedures(dsn: str) -> tuple[str, list[str]]:
    """The normalised schema after dropping the functions only procedures/ defines (a
    rollback may put back an older version of one for a database whose procedures were
    applied, as 0007's does); answers the dump and what was dropped."""
    dropped = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name, signature, _ in conn.execute(PROJECT_FUNCTIONS).fetchall():
            if name in procedure_only_names():
                conn.execute(f"DROP FUNCTION {signature}")  # type: ignore[arg-type]
                dropped.append(signature)
        schemas = conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname IN ('ledger', 'ledger_private')"
        ).fetchone()
        privileges = conn.execute(
            "SELECT coalesce(string_agg(format('%s %s %s', defaclrole::regrole,"
            " defaclobjtype, defaclacl), E'\\n' ORDER BY 1), '') FROM pg_default_acl"
        ).fetchone()
    assert schemas is not None and privileges is not None
    # (pg_dump refuses --schema patterns that match nothing: before 0001 there is no schema.)
    dumped = schema.dump(dsn) if schemas[0] else ""
    return dumped + "\n-- default privileges\n" + privileges[0], dropped


def test_rolling_back_each_migration_gives_the_schema_of_the_one_before(
    pg_cluster: TestCluster,
) -> None:
    """For every N: apply 1..N, roll back N, dump; a fresh database migrated to N-1 must
    dump the same. Migrations only on both sides (procedures/ is re-applied by migrate, not
    by the migration chain, and is compared through the one-home tests above)."""
    migrations = read_migrations(str(ROOT / "migrations"))
    ids = migrate.known()
    fresh = pg_cluster.create_database(template="template0")
    fresh_dsn = pg_cluster.admin_dsn(fresh)
    report = []
    try:
        for number, current in enumerate(ids):
            expected, none = dump_without_procedures(fresh_dsn)
            assert none == []
            trial = f"t_rollback_{uuid.uuid4().hex[:12]}"
            pg_cluster.execute(f'CREATE DATABASE "{trial}" TEMPLATE "{fresh}"')
            trial_dsn = pg_cluster.admin_dsn(trial)
            try:
                with yoyo(trial_dsn) as backend, backend.lock():
                    backend.apply_migrations_only(only(migrations, [current]))
                    assert next(m.id for m in backend.to_rollback(migrations)) == current
                    backend.rollback_migrations(only(migrations, [current]))
                    assert [m.id for m in backend.to_rollback(migrations)] == list(
                        reversed(ids[:number])
                    )
                rolled_back, dropped = dump_without_procedures(trial_dsn)
            finally:
                pg_cluster.drop_database(trial)
            report.append((current, dropped))
            assert rolled_back == expected, f"rolling back {current} leaves another schema"
            with yoyo(fresh_dsn) as backend, backend.lock():
                backend.apply_migrations_only(only(migrations, [current]))
    finally:
        pg_cluster.drop_database(fresh)
    assert [current for current, _ in report] == ids
    # 0007's rollback puts back the pre-0007 versions of two procedures for a database whose
    # procedures were applied; nothing else leaves a function behind.
    leftovers = {current: sorted(dropped) for current, dropped in report if dropped}
    assert leftovers == {
        "0007_end_of_day": [
            "ledger.get_balance(text,date,text)",
            "ledger_private.default_effective_date(text)",
        ]
    }


# A function as an older checkout's post-apply created it, whose file has since been
# deleted (procedures/private/posting_fields_ok.sql was, by the one posting core).
OLD_POSTING_FIELDS_OK = """
    CREATE FUNCTION ledger_private.posting_fields_ok(
        p_tenant text, p_key text, p_memo text, p_ref text, p_metadata jsonb
    ) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT p_tenant IS NOT NULL AND p_key IS NOT NULL $$
"""
POSTING_FIELDS_OK = "ledger_private.posting_fields_ok(text,text,text,text,jsonb)"
# A rule function a trigger still uses, with its file deleted: migrate must refuse, not drop.
ORPHAN_TRIGGER_FUNCTION = """
    CREATE FUNCTION ledger_private.orphan_guard() RETURNS trigger
    LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
    CREATE TRIGGER orphan_guard BEFORE INSERT ON ledger_private.account
        FOR EACH ROW EXECUTE FUNCTION ledger_private.orphan_guard();
"""


def test_migrate_drops_the_functions_no_procedures_file_defines(pg_cluster: TestCluster) -> None:
    """A database migrated before posting_fields_ok.sql was deleted still has the function:
    the next migrate drops it (in the transaction that re-creates the rest) and keeps every
    function a file defines. One that a trigger still uses makes the migrate fail instead."""
    name = pg_cluster.create_database(template="template0")
    dsn = pg_cluster.admin_dsn(name)

    def functions() -> set[str]:
        with psycopg.connect(dsn) as conn:
            rows = conn.execute(
                "SELECT p.oid::regprocedure::text FROM pg_proc AS p"
                " WHERE p.pronamespace = ANY ('{ledger,ledger_private}'::regnamespace[])"
            ).fetchall()
        return {row[0] for row in rows}

    try:
        migrate.apply(dsn)
        defined = functions()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SET ROLE doublex_owner")
            conn.execute(OLD_POSTING_FIELDS_OK)  # type: ignore[arg-type]
        assert functions() == defined | {POSTING_FIELDS_OK}
        migrate.apply(dsn)
        assert functions() == defined
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SET ROLE doublex_owner")
            conn.execute(ORPHAN_TRIGGER_FUNCTION)  # type: ignore[arg-type]
        try:
            migrate.apply(dsn)
        except psycopg.errors.DependentObjectsStillExist as refused:
            assert "orphan_guard" in str(refused)
        else:
            raise AssertionError("migrate dropped a function a trigger still uses")
        assert "ledger_private.orphan_guard()" in functions()
        assert functions() >= defined  # the failed run changed nothing
    finally:
        pg_cluster.drop_database(name)
