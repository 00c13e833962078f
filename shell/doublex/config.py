"""Configuration from the environment: every variable DoubleX reads is named here.

The README's "Configuration" table documents each of them; keep the two in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo

# The roles the first migration creates; the service connects as APP_ROLE.
OWNER_ROLE = "doublex_owner"
APP_ROLE = "doublex_app"

DEFAULT_LOCAL_PORT = 54329


def project_root() -> Path:
    """The checkout: where `.doublex/`, `migrations/` and `procedures/` live."""
    explicit = os.environ.get("DOUBLEX_HOME")
    if explicit:
        return Path(explicit).resolve()
    # shell/doublex/config.py → the repository root is two levels above the package.
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Settings:
    dsn: str | None
    app_dsn: str | None
    local_port: int
    pg_bindir: str | None
    pool_min: int
    pool_max: int
    pool_timeout: float
    max_retries: int
    max_body_bytes: int
    migrate_on_start: bool
    roll_up_seconds: float
    tenants: list[str]
    shutdown_seconds: float

    @property
    def uses_local_cluster(self) -> bool:
        return self.dsn is None


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be an integer, got {raw!r}") from exc


def _float_env(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a number, got {raw!r}") from exc


def load() -> Settings:
    return Settings(
        dsn=os.environ.get("DOUBLEX_DSN") or None,
        app_dsn=os.environ.get("DOUBLEX_APP_DSN") or None,
        local_port=_int_env("DOUBLEX_PGPORT", DEFAULT_LOCAL_PORT),
        pg_bindir=os.environ.get("DOUBLEX_PG_BINDIR") or None,
        pool_min=_int_env("DOUBLEX_POOL_MIN", 1),
        pool_max=_int_env("DOUBLEX_POOL_MAX", 10),
        pool_timeout=_float_env("DOUBLEX_POOL_TIMEOUT", 5.0),
        max_retries=_int_env("DOUBLEX_MAX_RETRIES", 20),
        max_body_bytes=_int_env("DOUBLEX_MAX_BODY_BYTES", 1 << 20),
        migrate_on_start=os.environ.get("MIGRATE_ON_START", "").lower() in ("1", "true", "yes"),
        roll_up_seconds=_float_env("DOUBLEX_ROLLUP_SECONDS", 5.0),
        tenants=[
            t.strip() for t in os.environ.get("DOUBLEX_TENANTS", "default").split(",") if t.strip()
        ],
        shutdown_seconds=_float_env("DOUBLEX_SHUTDOWN_SECONDS", 30.0),
    )


def as_app_role(admin_dsn: str) -> str:
    """The same server and database, connecting as the application role."""
    params = conninfo_to_dict(admin_dsn)
    params["user"] = APP_ROLE
    params.pop("password", None)
    return make_conninfo(**params)  # type: ignore[arg-type]
