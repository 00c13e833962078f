"""Schemathesis against /api/openapi.json of a running `doublex serve`, at zero failures.

The service runs as `doublex serve` does in production (a subprocess, its own pool, the
background roll-up) on a fresh test database with a few accounts, so positive examples can
post. Schemathesis runs every phase (examples, coverage, fuzzing, stateful via the
document's links) with positive and negative data and these checks: no 5xx, documented
status codes and content types, response bodies that match their schemas, and invalid
requests refused. A mismatch is fixed in the document or the handlers, never here.

SCHEMATHESIS_SEED picks another seed (the default is fixed so that `make test` is
reproducible); SCHEMATHESIS_MAX_EXAMPLES raises the number of cases per operation.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from doublex.api.app import ROUTES
from support.invariants import assert_ledger_invariants
from support.serving import doublex_serve

BIN = Path(sys.executable).parent
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)
SEED_ACCOUNTS = [  # the codes the document's examples use
    ("1001-CASH", "asset", "EUR"),
    ("4001-SALES", "income", "EUR"),
    ("2001-LOAN", "liability", "EUR"),
]


@pytest.fixture
def service(app_dsn: str, service_dsn: str, tmp_path: Path) -> Iterator[str]:
    """`doublex serve` on a free port of 127.0.0.1 against the test database, with the service
    DSN only; its base URL."""
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        for code, kind, ccy in SEED_ACCOUNTS:
            conn.execute(
                "SELECT ledger.create_account(code => %s, name => %s, ccy => %s, type => %s)",
                (code, f"seeded {code}", ccy, kind),
            )
    log = tmp_path / "serve.log"
    # The event stream ends well within schemathesis' request timeout.
    with doublex_serve(
        service_dsn, log, LOG_LEVEL="WARNING", DOUBLEX_POOL_MAX="4", DOUBLEX_SSE_MAX_SECONDS="0.2"
    ) as base:
        yield base
    server_log = (tmp_path / "serve.log").read_text()
    assert "Traceback" not in server_log, server_log[-4000:]


def test_schemathesis_finds_nothing(
    service: str, admin_dsn: str, api_key: str, tmp_path: Path
) -> None:
    junit = tmp_path / "junit.xml"
    command = [
        str(BIN / "schemathesis"),
        "run",
        f"{service}/api/openapi.json",
        "--url",
        service,
        "--header",
        f"Authorization: Bearer {api_key}",
        "--checks",
        ",".join(CHECKS),
        "--mode",
        "all",
        "--max-examples",
        os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "30"),
        "--seed",
        os.environ.get("SCHEMATHESIS_SEED", "20261121"),
        # One worker: Python 3.11's ast.parse (Hypothesis describes its filters with it) is
        # not thread-safe ("AST constructor recursion depth mismatch").
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--generation-database",
        "none",
        "--report",
        "junit",
        "--report-junit-path",
        str(junit),
        "--no-color",
    ]
    started = time.monotonic()
    run = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    elapsed = time.monotonic() - started
    output = run.stdout + run.stderr
    print(output[output.find("SUMMARY") - 40 :] if "SUMMARY" in output else output[-3000:])
    if run.returncode != 0:
        pytest.fail(f"schemathesis exited with {run.returncode}:\n{output[-12000:]}")

    suites = ET.parse(junit).getroot()
    cases = suites.findall(".//testcase")
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    errored = [c.get("name") for c in cases if c.find("error") is not None]
    assert failed == [] and errored == [], output[-12000:]
    # Every route was exercised (Schemathesis leaves out the document it was given).
    names = {case.get("name") for case in cases}
    expected = {f"{method} {path}" for method, path, _, _ in ROUTES if path != "/api/openapi.json"}
    assert expected <= names, output[-4000:]
    assert "Stateful tests" in names  # the document's links were followed
    assert " passed" in output and "failures" not in output.lower().split("summary")[-1]
    assert elapsed < 150, f"schemathesis took {elapsed:.0f} s"
    # Whatever it posted, the books still balance.
    assert_ledger_invariants(admin_dsn)
