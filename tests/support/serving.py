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


@contextmanager
def doublex_serve(service_dsn: str, log_path: Path, *args: str, **env: str) -> Iterator[str]:
    """Serve the test database until the block ends; yields the base URL once healthy.
    The service gets the service DSN only (no admin DSN: it needs none). `args` go to
    `doublex serve`, `env` to its environment; its output goes to log_path."""
    port = localdb.free_port()
    environ = os.environ | {"DOUBLEX_SERVICE_DSN": service_dsn} | env
    environ.pop("DOUBLEX_DSN", None)
    environ.pop("MIGRATE_ON_START", None)
    environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [str(BIN / "doublex"), "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, env=environ, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    with urllib.request.urlopen(f"{base}/api/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "the service did not become healthy"
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
