"""`doublex observe`: Prometheus and postgres_exporter on 127.0.0.1 next to the service."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import click

from doublex import config
from doublex.cli.common import admin_dsn, listen_options, service_dsn
from doublex.cli.output import emit_record, json_option
from doublex.cli.root import main

FIELDS = [
    ("prometheus", "Prometheus"),
    ("exporter", "postgres_exporter"),
    ("service", "service /metrics"),
    ("data", "data folder"),
]


@main.command("observe")
@listen_options("Address of all three.", "The service's port.")
@click.option("--prometheus-port", default=9090, show_default=True, type=int)
@click.option("--exporter-port", default=9187, show_default=True, type=int)
# Not a ledger rule: how often the local Prometheus scrapes (checked here only).
@click.option(
    "--scrape-interval",
    type=click.FloatRange(0.5, 300),
    default=5.0,
    show_default=True,
    help="Seconds between scrapes and rule evaluations.",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="With --no-serve: stop after this many seconds (default: run until Ctrl-C).",
)
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="Also run the service in the foreground (--no-serve: one already runs on --port).",
)
@json_option
def observe_command(
    host: str,
    port: int,
    prometheus_port: int,
    exporter_port: int,
    scrape_interval: float,
    duration: float | None,
    serve: bool,
    as_json: bool,
) -> None:
    """Run Prometheus and postgres_exporter on HOST until Ctrl-C (make observe)."""
    from doublex import observe

    settings = config.load()
    dsn = admin_dsn()
    workdir = Path(config.project_root()) / ".doublex" / "observe"
    stack = observe.Stack(
        admin_dsn=dsn,
        service=f"{host}:{port}",
        workdir=workdir,
        host=host,
        prometheus_port=prometheus_port,
        exporter_port=exporter_port,
        interval_seconds=scrape_interval,
    )
    with stack:
        record = {
            "prometheus": stack.prometheus_url,
            "exporter": stack.exporter_url,
            "service": f"http://{host}:{port}/metrics",
            "data": str(workdir),
        }
        emit_record(record, as_json, fields=FIELDS)
        if serve:
            from doublex import serve as service

            service.run(settings, service_dsn(), host, port)
        else:
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: stop the stack
                time.sleep(duration if duration is not None else float(1 << 31))
