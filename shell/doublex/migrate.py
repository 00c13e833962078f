"""Schema migrations with yoyo: versioned files in migrations/, procedures re-applied after.

`doublex migrate` applies what is pending and then always re-applies procedures/ (yoyo
runs its post-apply hook only when something was pending; a changed function must land
even when no migration did).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from yoyo import get_backend, read_migrations

from doublex.config import project_root


@dataclass(frozen=True)
class MigrationReport:
    applied: list[str]
    rolled_back: list[str]
    pending: list[str]


def single_host(dsn: str) -> str:
    """A multi-host DSN (a formation's URI, README "High availability") as the one server
    libpq picks for it now, the primary under target_session_attrs=read-write: yoyo's URLs
    name one host. Any other DSN as it is."""
    params = conninfo_to_dict(dsn)
    if "," not in str(params.get("host") or ""):
        return dsn
    with psycopg.connect(dsn) as conn:
        params["host"], params["port"] = conn.info.host, conn.info.port
    for key in ("hostaddr", "target_session_attrs"):
        params.pop(key, None)
    return make_conninfo(**params)  # type: ignore[arg-type]


def yoyo_url(dsn: str) -> str:
    """A yoyo database URL (psycopg 3 driver) for a libpq connection string or URL; of a
    multi-host one, the server that accepts writes."""
    params = {k: str(v) for k, v in conninfo_to_dict(single_host(dsn)).items() if v is not None}
    user = quote(params.pop("user", ""), safe="")
    password = params.pop("password", None)
    host = params.pop("host", "")
    port = params.pop("port", "")
    dbname = quote(params.pop("dbname", ""), safe="")
    auth = f"{user}:{quote(password, safe='')}@" if password else (f"{user}@" if user else "")
    netloc = f"{auth}{host}" + (f":{port}" if port else "")
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(params.items()))
    return f"postgresql+psycopg://{netloc}/{dbname}" + (f"?{query}" if query else "")


def _migrations() -> Any:
    return read_migrations(str(project_root() / "migrations"))


@contextmanager
def _backend(dsn: str) -> Iterator[Any]:
    """A yoyo backend whose connection is closed afterwards (an open one would, for
    instance, keep a template database from being copied)."""
    backend = get_backend(yoyo_url(dsn))
    try:
        yield backend
    finally:
        backend.connection.close()


def known() -> list[str]:
    """Ids of the migrations in migrations/, in the order they apply."""
    return sorted(
        p.stem
        for p in (project_root() / "migrations").glob("[0-9]*.sql")
        if not p.name.endswith(".rollback.sql")
    )


def status(dsn: str) -> MigrationReport:
    with _backend(dsn) as backend:
        pending = [m.id for m in backend.to_apply(_migrations())]
    return MigrationReport(applied=[], rolled_back=[], pending=pending)


def apply(dsn: str) -> MigrationReport:
    migrations = _migrations()
    with _backend(dsn) as backend, backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations_only(pending)
        backend.run_post_apply(migrations)
    return MigrationReport(applied=[m.id for m in pending], rolled_back=[], pending=[])


def _record_state(backend: Any) -> None:
    """After a rollback, ledger.health() must list what is still applied. (Procedures are
    not re-applied: they may name objects the rollback removed.)"""
    with backend.transaction():
        cursor = backend.execute("SELECT to_regclass('ledger_private.schema_state') IS NOT NULL")
        if cursor.fetchone()[0]:
            backend.execute(
                "UPDATE ledger_private.schema_state SET applied_at = now(), migrations = "
                "(SELECT coalesce(array_agg(migration_id ORDER BY applied_at_utc, migration_id),"
                " '{}') FROM _yoyo_migration)"
            )


def rollback(dsn: str, count: int = 1) -> MigrationReport:
    """Revert the `count` most recently applied migrations (all of them when count is 0)."""
    migrations = _migrations()
    with _backend(dsn) as backend, backend.lock():
        applied = backend.to_rollback(migrations)
        chosen = list(applied) if count == 0 else list(applied)[:count]
        backend.rollback_migrations(migrations.__class__(chosen))
        _record_state(backend)
    return MigrationReport(applied=[], rolled_back=[m.id for m in chosen], pending=[])
