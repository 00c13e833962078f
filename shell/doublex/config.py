"""Configuration from the environment: every variable DoubleX reads is named here.

The README's "Configuration" table documents each of them; keep the two in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from psycopg.conninfo import conninfo_to_dict, make_conninfo

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


@dataclass(frozen=True)
class Settings:
    dsn: str | None
    service_dsn: str | None
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
    # Time limits of the REST service (README, "Time limits").
    request_deadline: float
    header_timeout: float
    body_timeout: float
    connections_per_client: int
    # How long a worker uses a key's rate limit before reading it again (api/rate_limit.py).
    key_rate_seconds: float
    metrics_public: bool
    # The live page (README, "The live page"): served unless DOUBLEX_DEMO=off; demo tenants
    # older than demo_max_age_hours are archived by the service every demo_prune_seconds.
    demo: bool
    demo_max_age_hours: float
    demo_prune_seconds: float
    # How often the service marks the holds past their expiry in every tenant (0: never).
    hold_sweep_seconds: float
    # The event log (README, "Events"): how often the service's sequencer looks for a new
    # PgQ batch when idle; the SSE stream's poll interval, keep-alive ping and longest life.
    events_seconds: float
    sse_poll_seconds: float
    sse_ping_seconds: float
    sse_max_seconds: float
    # The webhook delivery worker (README, "Webhooks"; doublex.webhooks).
    webhooks: WebhookSettings
    # Request coalescing of POST /api/transfers (README, "Request coalescing").
    coalesce: CoalesceSettings
    # Sharding (README, "Sharding"): the PL/Proxy database's admin DSN and the shards' admin
    # DSNs; with both, `doublex migrate` migrates every shard and regenerates the proxy.
    proxy_dsn: str | None = None
    shard_dsns: tuple[str, ...] = ()

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

    enabled: bool = True
    page_size: int = 500
    concurrency: int = 32
    timeout_seconds: float = 10.0
    lease_seconds: float = 60.0
    poll_seconds: float = 0.25
    endpoints_seconds: float = 2.0
    retry_base_seconds: float = 1.0
    retry_cap_seconds: float = 3600.0
    give_up_seconds: float = 86400.0
    allow_private: bool = False


@dataclass(frozen=True)
class CoalesceSettings:
    """Request coalescing (doublex.db.coalesce): whether concurrent transfers of one API key
    are posted together by one `ledger.post_journals` call; the most requests in one batch;
    the longest a request waits for a batch to start (a lone request never waits)."""

    enabled: bool = True
    max_batch: int = 64
    max_wait_ms: float = 10.0


N = TypeVar("N", int, float)


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


def _flag_env(name: str) -> bool:
    """1, true or yes (any case): on; anything else or unset: off."""
    return os.environ.get(name, "").lower() in ("1", "true", "yes")


def coalesce_settings() -> CoalesceSettings:
    """DOUBLEX_COALESCE (on|off), DOUBLEX_COALESCE_MAX_BATCH, DOUBLEX_COALESCE_MAX_WAIT_MS."""
    defaults = CoalesceSettings()
    max_batch = _number_env("DOUBLEX_COALESCE_MAX_BATCH", defaults.max_batch)
    max_wait_ms = _number_env("DOUBLEX_COALESCE_MAX_WAIT_MS", defaults.max_wait_ms)
    if max_batch < 1 or max_wait_ms < 0:
        raise SystemExit(
            "DOUBLEX_COALESCE_MAX_BATCH must be at least 1 and DOUBLEX_COALESCE_MAX_WAIT_MS"
            f" at least 0, got {max_batch} and {max_wait_ms:g}"
        )
    return CoalesceSettings(
        enabled=os.environ.get("DOUBLEX_COALESCE", "on").lower() not in ("off", "0", "false", "no"),
        max_batch=max_batch,
        max_wait_ms=max_wait_ms,
    )


def load() -> Settings:
    return Settings(
        dsn=os.environ.get("DOUBLEX_DSN") or None,
        service_dsn=os.environ.get("DOUBLEX_SERVICE_DSN") or None,
        local_port=_number_env("DOUBLEX_PGPORT", DEFAULT_LOCAL_PORT),
        pg_bindir=os.environ.get("DOUBLEX_PG_BINDIR") or None,
        pool_min=_number_env("DOUBLEX_POOL_MIN", 1),
        pool_max=_number_env("DOUBLEX_POOL_MAX", 10),
        pool_timeout=_number_env("DOUBLEX_POOL_TIMEOUT", 5.0),
        max_retries=_number_env("DOUBLEX_MAX_RETRIES", 20),
        max_body_bytes=_number_env("DOUBLEX_MAX_BODY_BYTES", 1 << 20),
        migrate_on_start=_flag_env("MIGRATE_ON_START"),
        roll_up_seconds=_number_env("DOUBLEX_ROLLUP_SECONDS", 5.0),
        tenants=[
            t.strip() for t in os.environ.get("DOUBLEX_TENANTS", "default").split(",") if t.strip()
        ],
        shutdown_seconds=_number_env("DOUBLEX_SHUTDOWN_SECONDS", 30.0),
        request_deadline=_number_env("DOUBLEX_REQUEST_DEADLINE", 10.0),
        header_timeout=_number_env("DOUBLEX_HEADER_TIMEOUT", 10.0),
        body_timeout=_number_env("DOUBLEX_BODY_TIMEOUT", 10.0),
        connections_per_client=_number_env("DOUBLEX_CONNECTIONS_PER_CLIENT", 64),
        key_rate_seconds=_number_env("DOUBLEX_KEY_RATE_SECONDS", 5.0),
        metrics_public=_flag_env("DOUBLEX_METRICS_PUBLIC"),
        demo=os.environ.get("DOUBLEX_DEMO", "on").lower() not in ("off", "0", "false", "no"),
        demo_max_age_hours=_number_env("DOUBLEX_DEMO_MAX_AGE_HOURS", 24.0),
        demo_prune_seconds=_number_env("DOUBLEX_DEMO_PRUNE_SECONDS", 300.0),
        hold_sweep_seconds=_number_env("DOUBLEX_HOLD_SWEEP_SECONDS", 10.0),
        events_seconds=_number_env("DOUBLEX_EVENTS_SECONDS", 0.2),
        sse_poll_seconds=_number_env("DOUBLEX_SSE_POLL_SECONDS", 0.5),
        sse_ping_seconds=_number_env("DOUBLEX_SSE_PING_SECONDS", 15.0),
        sse_max_seconds=_number_env("DOUBLEX_SSE_MAX_SECONDS", 300.0),
        webhooks=WebhookSettings(
            enabled=os.environ.get("DOUBLEX_WEBHOOKS", "on").lower()
            not in ("off", "0", "false", "no"),
            page_size=_number_env("DOUBLEX_WEBHOOK_PAGE_SIZE", 500),
            concurrency=_number_env("DOUBLEX_WEBHOOK_CONCURRENCY", 32),
            timeout_seconds=_number_env("DOUBLEX_WEBHOOK_TIMEOUT_SECONDS", 10.0),
            lease_seconds=_number_env("DOUBLEX_WEBHOOK_LEASE_SECONDS", 60.0),
            poll_seconds=_number_env("DOUBLEX_WEBHOOK_POLL_SECONDS", 0.25),
            endpoints_seconds=_number_env("DOUBLEX_WEBHOOK_ENDPOINTS_SECONDS", 2.0),
            retry_base_seconds=_number_env("DOUBLEX_WEBHOOK_RETRY_BASE_SECONDS", 1.0),
            retry_cap_seconds=_number_env("DOUBLEX_WEBHOOK_RETRY_CAP_SECONDS", 3600.0),
            give_up_seconds=_number_env("DOUBLEX_WEBHOOK_GIVE_UP_SECONDS", 86400.0),
            allow_private=_flag_env("DOUBLEX_WEBHOOK_ALLOW_PRIVATE"),
        ),
        coalesce=coalesce_settings(),
        proxy_dsn=os.environ.get("DOUBLEX_PROXY_DSN") or None,
        shard_dsns=tuple(
            d.strip() for d in os.environ.get("DOUBLEX_SHARD_DSNS", "").split(";") if d.strip()
        ),
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
