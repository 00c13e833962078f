"""The observability stack for real: `doublex serve`, postgres_exporter and Prometheus on
loopback ports against a test database, a known workload, then every panel of the Ledger
SLO dashboard evaluated through Prometheus's HTTP API.

The workload touches every part a panel reads: postings (new, replayed, raced on one key,
rejected), balance reads, an FX settlement (the clearing position), an end-of-day close and
a reconciliation run with exceptions, the last two through the CLI as an operator runs them.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from doublex import localdb, observe
from doublex.config import SERVICE_ROLE
from support.cluster import TestCluster
from support.http import bearer, create_key

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = ROOT / "grafana" / "dashboards" / "ledger-slo.json"
BIN = Path(sys.executable).parent

# The workload, and what the counters must say about it.
POSTED_SEQUENTIAL = 12
REPLAYS = 5
CONCURRENT_SAME_KEY = 8
REJECTIONS = 4  # unbalanced, unknown account, key reused differently, insufficient funds
BALANCE_READS = 6
FX_TRANSFERS = 1  # one settlement: one posting, two journals
JOURNALS = POSTED_SEQUENTIAL + 1 + 2 * FX_TRANSFERS
# The statement's fee line is missing in the ledger; of the cash account's legs one matches
# the statement, every other (12 sales, the burst, the FX debit) is missing in the bank.
RECON_EXCEPTIONS = 1 + (POSTED_SEQUENTIAL - 1) + 1 + FX_TRANSFERS


# The workload's API key (tenant default, every capability), made once the database is up.
AUTH: dict[str, str] = {}


def call(method: str, url: str, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **AUTH}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def legs(debit: str, credit: str, amount: str) -> list[dict[str, str]]:
    return [
        {"account": debit, "side": "debit", "amount": amount, "ccy": "EUR"},
        {"account": credit, "side": "credit", "amount": amount, "ccy": "EUR"},
    ]


@dataclass
class Observed:
    service: str
    prometheus: str
    database: str
    admin_dsn: str

    def query(self, expr: str) -> list[dict[str, Any]]:
        url = f"{self.prometheus}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(url, timeout=10) as response:
            answer = json.loads(response.read())
        assert answer["status"] == "success", answer
        result: list[dict[str, Any]] = answer["data"]["result"]
        return result

    def value(self, expr: str) -> float | None:
        result = self.query(expr)
        return float(result[0]["value"][1]) if result else None

    def wait_for(self, expr: str, expected: float, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while (seen := self.value(expr)) != expected:
            assert time.monotonic() < deadline, f"{expr} = {seen}, expected {expected}"
            time.sleep(0.25)


def start_service(service_dsn: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {
        "DOUBLEX_SERVICE_DSN": service_dsn,
        "DOUBLEX_ROLLUP_SECONDS": "1",
        # The burst of one key retries on purpose; a slow shared machine must not run out.
        "DOUBLEX_MAX_RETRIES": "100",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.pop("DOUBLEX_DSN", None)
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(BIN / "doublex"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def run_workload(base: str, admin_dsn: str, workdir: Path) -> None:
    """Accounts, posts, replays, a burst of one key, rejections, balance reads, an FX
    settlement, an end-of-day close and a reconciliation run with exceptions."""
    for code, kind, extra in (
        ("1001-CASH", "asset", {}),
        ("4001-SALES", "income", {}),
        ("2001-LIAB", "liability", {"allow_negative": False}),
    ):
        status, body = call(
            "POST",
            f"{base}/api/accounts",
            {"code": code, "name": code, "ccy": "EUR", "type": kind} | extra,
        )
        assert status == 201, body
    for number in range(POSTED_SEQUENTIAL):
        status, body = call(
            "POST",
            f"{base}/api/transfers",
            {"idempotency_key": f"e2e-{number}", "legs": legs("1001-CASH", "4001-SALES", "10.00")},
        )
        assert (status, body["status"]) == (201, "posted"), body
        if number == 0:
            time.sleep(1.5)  # a scrape sees the counters before most of the workload
    for number in range(REPLAYS):
        status, body = call(
            "POST",
            f"{base}/api/transfers",
            {"idempotency_key": f"e2e-{number}", "legs": legs("1001-CASH", "4001-SALES", "10.00")},
        )
        assert (status, body["status"]) == (200, "duplicate"), body

    # One key from many clients at once: exactly one journal, the rest duplicates.
    answers: list[tuple[int, Any]] = []
    lock = threading.Lock()

    def same_key() -> None:
        answer = call(
            "POST",
            f"{base}/api/transfers",
            {"idempotency_key": "e2e-burst", "legs": legs("1001-CASH", "4001-SALES", "3.00")},
        )
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=same_key) for _ in range(CONCURRENT_SAME_KEY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(body["status"] for _, body in answers)
    assert statuses == ["duplicate"] * (CONCURRENT_SAME_KEY - 1) + ["posted"], answers

    rejected = [
        ("e2e-bad-1", legs("1001-CASH", "4001-SALES", "1.00")[:1] * 2, "DX009"),
        ("e2e-bad-2", legs("1001-CASH", "9999-NOPE", "1.00"), "DX006"),
        ("e2e-0", legs("1001-CASH", "4001-SALES", "99.00"), "DX011"),
        ("e2e-bad-3", legs("2001-LIAB", "1001-CASH", "5.00"), "DX010"),
    ]
    assert len(rejected) == REJECTIONS
    for key, request_legs, code in rejected:
        status, body = call(
            "POST", f"{base}/api/transfers", {"idempotency_key": key, "legs": request_legs}
        )
        assert body["code"] == code and 400 <= status < 500, body
    for _ in range(BALANCE_READS):
        status, body = call("GET", f"{base}/api/accounts/4001-SALES/balance")
        assert status == 200, body
    assert body["balance"] == "123.00"
    business_date = run_fx_settlement(base)
    operate(admin_dsn, workdir, business_date)


def run_fx_settlement(base: str) -> str:
    """EUR → USD through the clearing accounts; returns the business date it got."""
    status, body = call(
        "POST",
        f"{base}/api/accounts",
        {"code": "1101-USD", "name": "USD cash", "ccy": "USD", "type": "asset"},
    )
    assert status == 201, body
    status, body = call(
        "PUT", f"{base}/api/fx/rates/EUR/USD", {"rate": "1.0850", "valid_on": "2000-01-01"}
    )
    assert status == 200, body
    assert FX_TRANSFERS == 1
    status, body = call(
        "POST",
        f"{base}/api/fx/transfers",
        {
            "idempotency_key": "e2e-fx",
            "from_account": "1001-CASH",
            "to_account": "1101-USD",
            "amount": "10.00",
        },
    )
    assert (status, body["destination_amount"]) == (201, "10.85"), body
    effective_date: str = body["effective_date"]
    return effective_date


def operate(admin_dsn: str, workdir: Path, business_date: str) -> None:
    """What an operator does with the CLI: close yesterday, then reconcile today's cash
    against a statement with one matching line and one the ledger does not know."""
    env = os.environ | {"DOUBLEX_DSN": admin_dsn}
    env.pop("DOUBLEX_SERVICE_DSN", None)
    yesterday = (date.fromisoformat(business_date) - timedelta(days=1)).isoformat()
    statement = workdir / "statement.csv"
    statement.write_text(
        "date,ref,amount,ccy,description\n"
        f"{business_date},e2e-0,10.00,EUR,first sale\n"
        f"{business_date},BANK-FEE,-2.50,EUR,fee the ledger does not know\n"
    )
    for command in (
        ["eod", "close", "--date", yesterday],
        ["recon", "import", str(statement), "--account", "1001-CASH"],
        ["recon", "run", "--date", business_date, "--account", "1001-CASH"],
    ):
        done = subprocess.run(
            [str(BIN / "doublex"), *command], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)


@pytest.fixture(scope="module")
def observed(
    pg_cluster: TestCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Observed]:
    name = pg_cluster.create_database()
    workdir = tmp_path_factory.mktemp("observe")
    admin_dsn = pg_cluster.admin_dsn(name)
    port = localdb.free_port()
    service_dsn = pg_cluster.cluster.dsn(name, user=SERVICE_ROLE)
    service = start_service(service_dsn, port, workdir / "serve.log")
    AUTH.update(bearer(create_key(admin_dsn)["token"]))
    base = f"http://127.0.0.1:{port}"
    try:
        observe.wait_http(f"{base}/api/health", service, 30, workdir / "serve.log")
        stack = observe.Stack(
            admin_dsn=admin_dsn,
            service=f"127.0.0.1:{port}",
            workdir=workdir,
            prometheus_port=localdb.free_port(),
            exporter_port=localdb.free_port(),
            interval_seconds=1.0,
        )
        with stack:
            observed = Observed(base, stack.prometheus_url, name, admin_dsn)
            observed.wait_for('count(up{job=~"doublex|postgres"} == 1)', 2)
            run_workload(base, admin_dsn, workdir)
            total = POSTED_SEQUENTIAL + REPLAYS + CONCURRENT_SAME_KEY + REJECTIONS + FX_TRANSFERS
            observed.wait_for("sum(ledger_tx_total)", total)
            observed.wait_for('sum(ledger_journals_today{tenant="default"})', JOURNALS)
            # The exporter caches its slower ledger queries for 30 s: wait out one period.
            observed.wait_for('max(ledger_days_since_close{tenant="default"})', 1, timeout=60)
            observed.wait_for("count(ledger_fx_clearing_position)", 2, timeout=60)
            observed.wait_for("sum(ledger_recon_open_exceptions)", RECON_EXCEPTIONS, timeout=60)
            observed.wait_for("sum(ledger_recon_mismatches_total)", RECON_EXCEPTIONS)
            yield observed
    finally:
        service.terminate()
        service.wait(timeout=30)
        log = (workdir / "serve.log").read_text()
        pg_cluster.drop_database(name)
        assert "Traceback" not in log, log[-4000:]


def panel_queries() -> list[Any]:
    dashboard = json.loads(DASHBOARD.read_text())
    params = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            test_id = f"{panel['id']}:{panel['title']}:{target['refId']}"
            params.append(pytest.param(expr, id=test_id))
    return params


def grafana_to_promql(expr: str, database: str) -> str:
    """Grafana's variables as Grafana would fill them for the last few minutes."""
    return (
        expr.replace("$__rate_interval", "1m")
        .replace("$__range", "5m")
        .replace("$datname", database)
    )


@pytest.mark.parametrize("expr", panel_queries())
def test_every_panel_returns_data(observed: Observed, expr: str) -> None:
    result = observed.query(grafana_to_promql(expr, observed.database))
    assert result, f"no data for {expr}"
    values = [float(sample["value"][1]) for sample in result]
    assert any(math.isfinite(value) for value in values), f"{expr}: {values}"


def test_every_panel_query_is_valid_promql(observed: Observed) -> None:
    """Prometheus accepts each query (an HTTP 400 would be raised here), so a panel failing
    above can only mean missing data."""
    for param in panel_queries():
        (expr,) = param.values
        assert isinstance(observed.query(grafana_to_promql(expr, observed.database)), list)


def test_transfer_counters_match_the_workload(observed: Observed) -> None:
    by_status = {
        sample["metric"]["status"]: float(sample["value"][1])
        for sample in observed.query("sum by (status) (ledger_tx_total)")
    }
    assert by_status == {
        "posted": POSTED_SEQUENTIAL + 1 + FX_TRANSFERS,
        "duplicate": REPLAYS + CONCURRENT_SAME_KEY - 1,
        "rejected": REJECTIONS,
    }
    responses = {
        sample["metric"]["status"]: float(sample["value"][1])
        for sample in observed.query(
            'sum by (status) (http_requests_total{route="/api/transfers",method="POST"})'
        )
    }
    assert responses["201"] == POSTED_SEQUENTIAL + 1
    assert responses["200"] == REPLAYS + CONCURRENT_SAME_KEY - 1
    assert sum(v for k, v in responses.items() if k.startswith("4")) == REJECTIONS
    assert observed.value("sum(ledger_posting_latency_ms_count)") == sum(by_status.values())
    assert observed.value("sum(ledger_get_balance_latency_ms_count)") == BALANCE_READS
    with psycopg.connect(observed.admin_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM ledger_private.journal").fetchone()
    assert row is not None and row[0] == JOURNALS


def test_recon_and_end_of_day_metrics(observed: Observed) -> None:
    kinds = {
        sample["metric"]["kind"]: float(sample["value"][1])
        for sample in observed.query("sum by (kind) (ledger_recon_mismatches_total)")
    }
    assert kinds == {
        "amount_mismatch": 0,
        "missing_in_ledger": 1,
        "missing_in_bank": RECON_EXCEPTIONS - 1,
    }
    assert observed.value('ledger_days_since_close{tenant="default"}') == 1
    positions = {
        sample["metric"]["ccy"]: float(sample["value"][1])
        for sample in observed.query("ledger_fx_clearing_position")
    }
    # The exporter reads the clearing balances as the ledger's own FX position does.
    with psycopg.connect(observed.admin_dsn) as conn:
        rows = conn.execute("SELECT ccy, position FROM ledger.fx_position()").fetchall()
    assert positions == {ccy: float(position) for ccy, position in rows}
    assert sorted(abs(value) for value in positions.values()) == [10.0, 10.85]


def test_database_gauges_and_rules(observed: Observed) -> None:
    assert observed.value("max(ledger_unbalanced_journals)") == 0
    assert observed.value("max(ledger_unbalanced_window_seconds)") == 900
    assert observed.value("max(pg_up)") == 1
    assert observed.value(f'sum(pg_stat_database_xact_commit{{datname="{observed.database}"}})')
    # The recording rules run on real data: no 5xx, so the availability burn rate is 0.
    assert observed.value("ledger:availability_burn_rate:5m") == 0
    firing = observed.query('ALERTS{alertstate="firing"}')
    assert firing == [], firing
