"""`doublex serve --workers N`: N processes share one port, metrics add up over them, and a
signal to the supervisor stops them all."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from doublex import config, localdb, serve
from doublex.cli import main
from support.http import bearer


def call(url: str, body: dict[str, Any] | None = None, key: str = "") -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", **bearer(key)}
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def children_of(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def metric(text: str, line_start: str) -> float:
    match = re.search(rf"^{re.escape(line_start)} ([0-9.e+-]+)$", text, re.MULTILINE)
    assert match, f"{line_start} not in /metrics"
    return float(match.group(1))


def test_workers_share_the_port_and_add_up_their_metrics(
    admin_dsn: str, service_dsn: str, api_key: str
) -> None:
    settings = dataclasses.replace(
        config.load(), pool_max=3, migrate_on_start=True, shutdown_seconds=5
    )
    port = localdb.free_port()
    base = f"http://127.0.0.1:{port}"
    seen: dict[str, Any] = {}

    def drive() -> None:
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if call(f"{base}/api/health")[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "the workers did not come up"
                time.sleep(0.1)
            # One worker answering is not both serving: the second may still be opening its
            # pool. Each worker records its pool gauges once its pool is open, so the summed
            # db_pool_max reaches 2 x 3 exactly when both are ready.
            while metric(call(f"{base}/metrics")[1], "db_pool_max") != 6.0:
                assert time.monotonic() < deadline, "the second worker did not come up"
                time.sleep(0.1)
            workers = children_of(os.getpid())
            seen["workers"] = workers
            environ = Path(f"/proc/{workers[0]}/environ").read_bytes().split(b"\0")
            seen["metrics_dir"] = next(
                e.split(b"=", 1)[1].decode()
                for e in environ
                if e.startswith(b"PROMETHEUS_MULTIPROC_DIR=")
            )
            for code in ("A", "B"):
                assert (
                    call(
                        f"{base}/api/accounts", {"code": code, "name": code, "ccy": "EUR"}, api_key
                    )[0]
                    == 201
                )
            legs = [
                {"account": "A", "side": "debit", "amount": "1.00", "ccy": "EUR"},
                {"account": "B", "side": "credit", "amount": "1.00", "ccy": "EUR"},
            ]
            for number in range(24):
                status, _ = call(
                    f"{base}/api/transfers",
                    {"idempotency_key": f"w-{number}", "legs": legs},
                    api_key,
                )
                assert status == 201
            # Whichever worker answers the scrape, the counts are the service's totals.
            scrapes = [call(f"{base}/metrics")[1] for _ in range(8)]
            seen["posted"] = {metric(t, 'ledger_tx_total{status="posted"}') for t in scrapes}
            seen["pool_max"] = {metric(t, "db_pool_max") for t in scrapes}
            seen["http_201"] = {
                metric(t, 'http_requests_total{method="POST",route="/api/transfers",status="201"}')
                for t in scrapes
            }
        except BaseException as exc:  # reported by the test body
            seen["error"] = exc
        finally:
            if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
                os.kill(os.getpid(), signal.SIGTERM)  # the supervisor's handler stops all
            else:  # the supervisor never got that far: stop whatever it started
                for pid in children_of(os.getpid()):
                    os.kill(pid, signal.SIGTERM)

    thread = threading.Thread(target=drive)
    thread.start()
    status = serve.supervise(settings, service_dsn, "127.0.0.1", port, 2, admin_dsn)
    thread.join()
    if "error" in seen:
        raise seen["error"]
    assert status == 0
    assert len(seen["workers"]) == 2
    assert seen["posted"] == {24.0}
    assert seen["http_201"] == {24.0}
    assert seen["pool_max"] == {6.0}  # 2 workers, pool_max 3 each
    assert children_of(os.getpid()) == []  # every worker stopped and was reaped
    assert not Path(seen["metrics_dir"]).exists()  # the supervisor's own folder, removed
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


def test_a_dying_worker_stops_the_service(service_dsn: str) -> None:
    settings = dataclasses.replace(config.load(), shutdown_seconds=5)
    port = localdb.free_port()

    def kill_one() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if call(f"http://127.0.0.1:{port}/api/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        workers = children_of(os.getpid())
        os.kill(workers[0], signal.SIGKILL)

    thread = threading.Thread(target=kill_one)
    thread.start()
    status = serve.supervise(settings, service_dsn, "127.0.0.1", port, 2)
    thread.join()
    assert status == 128 + signal.SIGKILL
    assert children_of(os.getpid()) == []


def test_workers_option_is_bounded() -> None:
    result = CliRunner().invoke(main, ["serve", "--workers", "0"])
    assert result.exit_code == 2
    assert "--workers" in result.output


def test_workers_load_the_supervisors_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = dataclasses.replace(
        config.load(),
        pool_min=2,
        pool_max=9,
        pool_timeout=1.5,
        max_retries=4,
        max_body_bytes=4096,
        roll_up_seconds=0.5,
        tenants=["default", "acme"],
        shutdown_seconds=3.0,
    )
    for name, value in serve.settings_env(settings).items():
        monkeypatch.setenv(name, value)
    assert config.load() == settings
