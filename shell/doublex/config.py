"""Configuration from the environment: every variable DoubleX reads is named here.

The README's "Configuration" table documents each of them; keep the two in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from psycopg.conninfo import conninfo_to_dict, make_conninfo

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# The roles the migrations create: the owner; doublex_app, the SQL login of the `default`
# tenant; the service's login, which acts as API_ROLE for each request's key.
OWNER_ROLE = "doublex_owner"
APP_ROLE = "doublex_app"
SERVICE_ROLE = "doublex_service"
API_ROLE = "doublex_api"

DEFAULT_LOCAL_PORT = 54329

# Transport limits of the REST service (README, "Limits"): the shell's own, since no SQL
# function ever sees them. Every limit of the ledger's API is procedures/private/api_limit.sql.
MAX_JSON_DEPTH = 32  # arrays and objects nested in a request body (a batch needs 5)
REQUEST_ID_PATTERN = r"[A-Za-z0-9._:-]{1,128}"  # an X-Request-ID kept; others are replaced
# API keys whose token bucket a worker keeps (api/rate_limit.py): the least recently used
# is dropped beyond this (its key starts a full bucket when it comes back). Only valid keys
# get one, so this bounds memory whatever key ids clients send.
KEY_BUCKETS = 10_000


def project_root() -> Path:
    """The checkout: where `.doublex/`, `migrations/` and `procedures/` live."""
    explicit = os.environ.get("DOUBLEX_HOME")
    if explicit:
        return Path(explicit).resolve()
    # shell/doublex/config.py → the repository root is two levels above the package.
    return Path(__file__).resolve().parents[2]


T = TypeVar("T")
D = TypeVar("D", bound="DataclassInstance")
N = TypeVar("N", int, float)
ON = ("1", "true", "yes")
OFF = ("off", "0", "false", "no")


def env(name: str, default: T) -> T:
    """A setting read from the variable `name` (by _from_env); its default's type says how:
    a number of that type, a switch (default on: off, 0, false or no turn it off; default
    off: 1, true or yes turn it on), or a text (default None: unset or empty)."""
    return field(default=default, metadata={"env": name})


@dataclass(frozen=True, kw_only=True)
class Settings:
    # Connections: the admin DSN (unset: the local cluster on local_port, its programs in
    # pg_bindir or on PATH), the service's. Sharding (README, "Sharding"): the PL/Proxy
    # database's admin DSN and the shards' admin DSNs; with both, `doublex migrate` migrates
    # every shard and regenerates the proxy.
    dsn: str | None = env("DOUBLEX_DSN", None)
    service_dsn: str | None = env("DOUBLEX_SERVICE_DSN", None)
    pg_bindir: str | None = env("DOUBLEX_PG_BINDIR", None)
    proxy_dsn: str | None = env("DOUBLEX_PROXY_DSN", None)
    shard_dsns: tuple[str, ...] = ()  # DOUBLEX_SHARD_DSNS, semicolon-separated
    tenants: list[str]  # DOUBLEX_TENANTS, comma-separated (default: default)
    # Switches. The live page (README, "The live page") is served unless DOUBLEX_DEMO=off.
    migrate_on_start: bool = env("MIGRATE_ON_START", False)
    metrics_public: bool = env("DOUBLEX_METRICS_PUBLIC", False)
    demo: bool = env("DOUBLEX_DEMO", True)
    local_port: int = env("DOUBLEX_PGPORT", DEFAULT_LOCAL_PORT)
    max_body_bytes: int = env("DOUBLEX_MAX_BODY_BYTES", 1 << 20)
    pool_min: int = env("DOUBLEX_POOL_MIN", 1)
    pool_max: int = env("DOUBLEX_POOL_MAX", 10)
    pool_timeout: float = env("DOUBLEX_POOL_TIMEOUT", 5.0)
    max_retries: int = env("DOUBLEX_MAX_RETRIES", 20)
    roll_up_seconds: float = env("DOUBLEX_ROLLUP_SECONDS", 5.0)
    shutdown_seconds: float = env("DOUBLEX_SHUTDOWN_SECONDS", 30.0)
    # Time limits of the REST service (README, "Time limits").
    request_deadline: float = env("DOUBLEX_REQUEST_DEADLINE", 10.0)
    header_timeout: float = env("DOUBLEX_HEADER_TIMEOUT", 10.0)
    body_timeout: float = env("DOUBLEX_BODY_TIMEOUT", 10.0)
    connections_per_client: int = env("DOUBLEX_CONNECTIONS_PER_CLIENT", 64)
    # How long a worker uses a key's rate limit before reading it again (api/rate_limit.py).
    key_rate_seconds: float = env("DOUBLEX_KEY_RATE_SECONDS", 5.0)
    # Demo tenants older than demo_max_age_hours are archived every demo_prune_seconds.
    demo_max_age_hours: float = env("DOUBLEX_DEMO_MAX_AGE_HOURS", 24.0)
    demo_prune_seconds: float = env("DOUBLEX_DEMO_PRUNE_SECONDS", 300.0)
    # How often the service marks the holds past their expiry in every tenant (0: never).
    hold_sweep_seconds: float = env("DOUBLEX_HOLD_SWEEP_SECONDS", 10.0)
    # The event log (README, "Events"): how often the service's sequencer looks for a new
    # PgQ batch when idle; the SSE stream's poll interval, keep-alive ping and longest life.
    events_seconds: float = env("DOUBLEX_EVENTS_SECONDS", 0.2)
    sse_poll_seconds: float = env("DOUBLEX_SSE_POLL_SECONDS", 0.5)
    sse_ping_seconds: float = env("DOUBLEX_SSE_PING_SECONDS", 15.0)
    sse_max_seconds: float = env("DOUBLEX_SSE_MAX_SECONDS", 300.0)
    # The webhook delivery worker (README, "Webhooks"; doublex.webhooks).
    webhooks: WebhookSettings
    # Request coalescing of POST /api/transfers (README, "Request coalescing").
    coalesce: CoalesceSettings

    @property
    def uses_local_cluster(self) -> bool:
        return self.dsn is None


@dataclass(frozen=True)
class WebhookSettings:
    """The delivery worker's knobs (README, "Webhooks"): whether `doublex serve` runs it;
    events per claim and sent at once to one endpoint; an attempt's time limit; how long a
    claim holds an endpoint; how often an idle endpoint looks for events and the endpoint
    list is re-read; the backoff (first wait, longest wait) and the give-up window before a
    dead letter; whether loopback and private addresses may be reached."""

    enabled: bool = env("DOUBLEX_WEBHOOKS", True)
    page_size: int = env("DOUBLEX_WEBHOOK_PAGE_SIZE", 500)
    concurrency: int = env("DOUBLEX_WEBHOOK_CONCURRENCY", 32)
    timeout_seconds: float = env("DOUBLEX_WEBHOOK_TIMEOUT_SECONDS", 10.0)
    lease_seconds: float = env("DOUBLEX_WEBHOOK_LEASE_SECONDS", 60.0)
    poll_seconds: float = env("DOUBLEX_WEBHOOK_POLL_SECONDS", 0.25)
    endpoints_seconds: float = env("DOUBLEX_WEBHOOK_ENDPOINTS_SECONDS", 2.0)
    retry_base_seconds: float = env("DOUBLEX_WEBHOOK_RETRY_BASE_SECONDS", 1.0)
    retry_cap_seconds: float = env("DOUBLEX_WEBHOOK_RETRY_CAP_SECONDS", 3600.0)
    give_up_seconds: float = env("DOUBLEX_WEBHOOK_GIVE_UP_SECONDS", 86400.0)
    allow_private: bool = env("DOUBLEX_WEBHOOK_ALLOW_PRIVATE", False)


@dataclass(frozen=True)
class CoalesceSettings:
    """Request coalescing (doublex.db.coalesce): whether concurrent transfers of one API key
    are posted together by one `ledger.post_journals` call; the most requests in one batch;
    the longest a request waits for a batch to start (a lone request never waits)."""

    enabled: bool = env("DOUBLEX_COALESCE", True)
    max_batch: int = env("DOUBLEX_COALESCE_MAX_BATCH", 64)
    max_wait_ms: float = env("DOUBLEX_COALESCE_MAX_WAIT_MS", 10.0)


def _number_env(name: str, default: N) -> N:
    """The variable as a number of the default's type; unset or empty: the default."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return type(default)(raw)
    except ValueError as exc:
        what = "an integer" if isinstance(default, int) else "a number"
        raise SystemExit(f"{name} must be {what}, got {raw!r}") from exc


def _list_env(name: str, separator: str, default: str = "") -> list[str]:
    """The variable's items, stripped, empty ones left out."""
    return [item.strip() for item in os.environ.get(name, default).split(separator) if item.strip()]


def _from_env(cls: type[D], **given: Any) -> D:
    """`cls` with every field env() names read from its variable, the others `given`."""
    values = dict(given)
    for each in fields(cls):
        name, default = each.metadata.get("env"), each.default
        if name is None:
            continue
        if isinstance(default, bool):
            raw = os.environ.get(name, "").lower()
            values[each.name] = raw not in OFF if default else raw in ON
        elif isinstance(default, (int, float)):
            values[each.name] = _number_env(name, default)
        else:
            values[each.name] = os.environ.get(name) or default
    return cls(**values)


def coalesce_settings() -> CoalesceSettings:
    """DOUBLEX_COALESCE (on|off), DOUBLEX_COALESCE_MAX_BATCH, DOUBLEX_COALESCE_MAX_WAIT_MS."""
    settings = _from_env(CoalesceSettings)
    if settings.max_batch < 1 or settings.max_wait_ms < 0:
        raise SystemExit(
            "DOUBLEX_COALESCE_MAX_BATCH must be at least 1 and DOUBLEX_COALESCE_MAX_WAIT_MS"
            f" at least 0, got {settings.max_batch} and {settings.max_wait_ms:g}"
        )
    return settings


def load() -> Settings:
    return _from_env(
        Settings,
        tenants=_list_env("DOUBLEX_TENANTS", ",", "default"),
        webhooks=_from_env(WebhookSettings),
        coalesce=coalesce_settings(),
        shard_dsns=tuple(_list_env("DOUBLEX_SHARD_DSNS", ";")),
    )


# -- read where they are used (logging, tracing, metrics, `doublex observe`) ------------------

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# The programs `doublex observe` and the tests run: variable → its default name on PATH.
BINARIES = {
    "DOUBLEX_PROMETHEUS": "prometheus",
    "DOUBLEX_POSTGRES_EXPORTER": "prometheus-postgres-exporter",
    "DOUBLEX_PROMTOOL": "promtool",
}


def log_format() -> str:
    """LOG_FORMAT: `text` (default) or `json` (one JSON object per line)."""
    return os.environ.get("LOG_FORMAT", "text").lower()


def log_level() -> str:
    """LOG_LEVEL: a Python log level name (default INFO)."""
    return os.environ.get("LOG_LEVEL", "INFO").upper()


def otlp_endpoint() -> str | None:
    """OTEL_EXPORTER_OTLP_ENDPOINT: where spans go; unset, tracing is off. The exporter
    itself reads the other standard OTEL_EXPORTER_OTLP_* variables."""
    return os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None


def otel_service_name() -> str:
    """OTEL_SERVICE_NAME: the service name on exported spans (default doublex)."""
    return os.environ.get("OTEL_SERVICE_NAME", "doublex")


def multiprocess_dir() -> str | None:
    """PROMETHEUS_MULTIPROC_DIR: the shared metrics folder of a multi-worker service."""
    return os.environ.get(MULTIPROCESS_ENV) or None


def monitor_dsn() -> str | None:
    """DOUBLEX_MONITOR_DSN: the URI postgres_exporter connects with, when given."""
    return os.environ.get("DOUBLEX_MONITOR_DSN") or None


def binary(variable: str) -> str | None:
    """The program a variable of BINARIES names, when set."""
    if variable not in BINARIES:
        raise KeyError(f"{variable} is not one of {', '.join(BINARIES)}")
    return os.environ.get(variable) or None


def as_role(admin_dsn: str, role: str) -> str:
    """The same server and database, connecting as `role` (without the admin's password)."""
    params = conninfo_to_dict(admin_dsn)
    params["user"] = role
    params.pop("password", None)
    return make_conninfo(**params)  # type: ignore[arg-type]


def as_app_role(admin_dsn: str) -> str:
    """The same server and database, connecting as doublex_app (the default tenant's login)."""
    return as_role(admin_dsn, APP_ROLE)


def as_service_role(admin_dsn: str) -> str:
    """The same server and database, connecting as the service's role."""
    return as_role(admin_dsn, SERVICE_ROLE)
