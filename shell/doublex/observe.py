"""`doublex observe` / `make observe`: Prometheus and postgres_exporter on 127.0.0.1 next to
the service, without Docker.

Both are Debian packages (`prometheus`, `prometheus-postgres-exporter`; make deps installs
them). The exporter runs the ledger's custom queries (prometheus/postgres_exporter.yml) as
the read-only role doublex_monitor; Prometheus scrapes it and the service's /metrics and
evaluates prometheus/rules/ledger.rules.yml. The Prometheus configuration is generated here
(JSON, which is YAML) because the targets are the local ports; docker-compose uses the
static prometheus/prometheus.yml with the same jobs and rules.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from psycopg.conninfo import conninfo_to_dict

from doublex import config

MONITOR_ROLE = "doublex_monitor"
SERVICE_JOB = "doublex"
DATABASE_JOB = "postgres"


def prometheus_dir() -> Path:
    return config.project_root() / "prometheus"


def rules_file() -> Path:
    return prometheus_dir() / "rules" / "ledger.rules.yml"


def queries_file() -> Path:
    return prometheus_dir() / "postgres_exporter.yml"


def find_binary(variable: str, *names: str) -> str:
    """The program named by `variable` (one of config.BINARIES), else the first of `names`
    on PATH."""
    explicit = config.binary(variable)
    if explicit:
        return explicit
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError(
        f"{names[0]} not found: run `make deps` (Debian package {names[0]}) or set {variable}"
    )


def exporter_dsn(admin_dsn: str) -> str:
    """DOUBLEX_MONITOR_DSN, or the admin DSN's server and database as doublex_monitor, as the
    URI postgres_exporter reads from DATA_SOURCE_NAME (sslmode defaults to disable)."""
    explicit = config.monitor_dsn()
    if explicit:
        return explicit
    params = conninfo_to_dict(admin_dsn)
    host = str(params.get("host") or "127.0.0.1")
    port = str(params.get("port") or "5432")
    dbname = quote(str(params.get("dbname") or "postgres"))
    sslmode = quote(str(params.get("sslmode") or "disable"))
    return f"postgresql://{MONITOR_ROLE}@{host}:{port}/{dbname}?sslmode={sslmode}"


def prometheus_config(
    service: str, exporter: str, interval_seconds: float, rules: Path | None = None
) -> str:
    """Prometheus configuration scraping the service and the exporter (JSON is YAML)."""
    interval = f"{max(int(interval_seconds * 1000), 1)}ms"
    document = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(rules or rules_file())],
        "scrape_configs": [
            {"job_name": SERVICE_JOB, "static_configs": [{"targets": [service]}]},
            {"job_name": DATABASE_JOB, "static_configs": [{"targets": [exporter]}]},
        ],
    }
    return json.dumps(document, indent=2) + "\n"


def wait_http(url: str, process: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    """Until `url` answers 200; fails early when the process dies."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout:.0f}s")
        time.sleep(0.1)


@dataclass
class Stack:
    """postgres_exporter and Prometheus as child processes, for as long as the `with` lasts."""

    admin_dsn: str
    service: str
    workdir: Path
    host: str = "127.0.0.1"
    prometheus_port: int = 9090
    exporter_port: int = 9187
    interval_seconds: float = 5.0
    stop_seconds: float = 15.0
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def prometheus_url(self) -> str:
        return f"http://{self.host}:{self.prometheus_port}"

    @property
    def exporter_url(self) -> str:
        return f"http://{self.host}:{self.exporter_port}/metrics"

    def __enter__(self) -> Stack:
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self._start_exporter()
            self._start_prometheus()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def _spawn(self, argv: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv, stdout=out, stderr=subprocess.STDOUT, env=os.environ | env
            )
        self.processes.append(process)
        return process

    def _start_exporter(self) -> None:
        log = self.workdir / "postgres_exporter.log"
        process = self._spawn(
            [
                find_binary("DOUBLEX_POSTGRES_EXPORTER", "prometheus-postgres-exporter"),
                f"--web.listen-address={self.host}:{self.exporter_port}",
                f"--extend.query-path={queries_file()}",
            ],
            log,
            {"DATA_SOURCE_NAME": exporter_dsn(self.admin_dsn)},
        )
        wait_http(self.exporter_url, process, 30, log)

    def _start_prometheus(self) -> None:
        config_path = self.workdir / "prometheus.yml"
        config_path.write_text(
            prometheus_config(
                self.service, f"{self.host}:{self.exporter_port}", self.interval_seconds
            )
        )
        log = self.workdir / "prometheus.log"
        process = self._spawn(
            [
                find_binary("DOUBLEX_PROMETHEUS", "prometheus"),
                f"--config.file={config_path}",
                f"--storage.tsdb.path={self.workdir / 'data'}",
                f"--web.listen-address={self.host}:{self.prometheus_port}",
                "--storage.tsdb.retention.time=7d",
            ],
            log,
            {},
        )
        wait_http(f"{self.prometheus_url}/-/ready", process, 60, log)

    def stop(self) -> None:
        """Terminate the children (newest first) and reap them."""
        while self.processes:
            process = self.processes.pop()
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=self.stop_seconds)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
