"""`doublex serve` as a real subprocess on a free port of 127.0.0.1, for the suites that test
the service as production runs it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from doublex import localdb

BIN = Path(sys.executable).parent


class Service:
    """`doublex serve` on one port, which `start` may be called on again after `kill`.
    `args` go to `doublex serve`, `env` to its environment; its output goes to log_path."""

    def __init__(self, service_dsn: str, log_path: Path, *args: str, **env: str):
        self.port = localdb.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        # The service DSN only: the service needs no admin DSN.
        self.environ = os.environ | {"DOUBLEX_SERVICE_DSN": service_dsn} | env
        self.environ.pop("DOUBLEX_DSN", None)
        self.environ.pop("MIGRATE_ON_START", None)
        self.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.command = [
            str(BIN / "doublex"),
            *("serve", "--host", "127.0.0.1", "--port", str(self.port), *args),
        ]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> None:
        """Start the service and wait until /api/health answers 200."""
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                self.command, env=self.environ, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while True:
            assert self.process.poll() is None, self.log_path.read_text()
            try:
                with urllib.request.urlopen(f"{self.base}/api/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            assert time.monotonic() < deadline, "the service did not become healthy"
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, in-flight requests are cut."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def doublex_serve(service_dsn: str, log_path: Path, *args: str, **env: str) -> Iterator[str]:
    """Serve the test database until the block ends; yields the base URL once healthy.
    The service gets the service DSN only (no admin DSN: it needs none)."""
    log_path.write_text("")
    service = Service(service_dsn, log_path, *args, **env)
    try:
        service.start()
        yield service.base
    finally:
        service.stop()
