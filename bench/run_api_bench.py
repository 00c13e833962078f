"""The REST benchmark of DoubleX: Locust against a freshly served, freshly seeded instance.

    .venv/bin/python bench/run_api_bench.py                       # make bench-api
    .venv/bin/python bench/run_api_bench.py --workers 1 --users 8 --duration 5   # a quick look

Steps: start or reuse the local cluster (`doublex db start`; DOUBLEX_DSN when set), drop and
recreate the database `doublex_api_bench`, migrate it, open ACCOUNT_POOL_SIZE accounts
A0001… through the SQL API. Then, for each worker count and each coalescing mode
(DOUBLEX_COALESCE off and on, README "Request coalescing"), serve it with `doublex serve
--workers N` on a free port of 127.0.0.1 and, for each user count, run bench/locustfile.py
headless: a short warm-up (discarded), then the measured run. Around each measured run the
runner reads the CPU time (utime + stime from /proc) of the serving processes and of the
PostgreSQL server, ledger_serialization_retries_total and the ledger_coalesce_batch_size
histogram from /metrics and the number of journals in the database. One table goes to the
terminal and to bench/results/api-bench.md and .json with the comparison of the modes and
the bars (reported, not enforced).

The exit status is 1 when the service misbehaved: the database gained a different number of
journals than the requests answered 201, the books do not balance, a key has two journals,
or a run failed to start. Bars that are missed only show as FAIL in the report.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from doublex import config, localdb
from doublex.cli.common import admin_dsn

BENCH_DIR = Path(__file__).resolve().parent
LOCUSTFILE = BENCH_DIR / "locustfile.py"
RESULTS_DIR = BENCH_DIR / "results"
BIN = Path(sys.executable).parent
DATABASE = "doublex_api_bench"
STEM = "api-bench"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# The bars (bench/README.md): reported, never enforced.
BAR_P95_AT_8_MS = 18.0
BAR_TPS_AT_32 = 1000.0
BAR_P95_AT_32_MS = 60.0
BAR_CPU_MS = 1.0
# Issue #19's bars, coalescing on against off in the same run, same worker count.
BAR_SERVER_CPU_AT_64_MS = 0.55  # service + PostgreSQL CPU per transfer, coalescing on
BAR_TPS_RATIO_AT_64 = 1.7
BAR_P95_AT_64_MS = 40.0
BAR_P50_AT_1_EXTRA_MS = 0.3
BATCH_BOUNDS = ("1.0", "2.0", "4.0", "8.0", "16.0", "32.0", "64.0", "128.0", "256.0", "512.0")


# -- options -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    workers: tuple[int, ...]
    users: tuple[int, ...]
    coalesce: tuple[str, ...]
    duration: int
    warmup: int
    accounts: int
    ccy: str
    dedupe_rate: float
    tx_per_sec: float
    pool_max: int | None
    access_log: bool
    results_dir: Path


def _int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected integers like 8,32; got {text!r}") from exc
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers like 8,32; got {text!r}")
    return values


def _modes(text: str) -> tuple[str, ...]:
    values = tuple(part.strip() for part in text.split(",") if part.strip())
    if not values or any(v not in ("off", "on") for v in values):
        raise argparse.ArgumentTypeError(f"expected off, on or off,on; got {text!r}")
    return values


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--workers",
        type=_int_list,
        default=(1, 2),
        help="service worker processes to measure, comma-separated",
    )
    parser.add_argument(
        "--users",
        type=_int_list,
        default=(8, 32, 64),
        help="Locust users (concurrent clients), comma-separated",
    )
    parser.add_argument(
        "--coalesce",
        type=_modes,
        default=("off", "on"),
        help="DOUBLEX_COALESCE modes to serve with, comma-separated (each worker count runs"
        " every mode)",
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of discarded warm-up")
    parser.add_argument(
        "--accounts",
        type=int,
        default=int(os.environ.get("ACCOUNT_POOL_SIZE", "100")),
        help="ACCOUNT_POOL_SIZE: accounts the transfers pick from",
    )
    parser.add_argument(
        "--ccy",
        default=os.environ.get("ACCOUNT_CCY", "EUR"),
        help="ACCOUNT_CCY: the accounts' currency",
    )
    parser.add_argument(
        "--dedupe-rate",
        type=float,
        default=float(os.environ.get("DEDUPE_RATE", "0.05")),
        help="DEDUPE_RATE: share of requests replaying an earlier key",
    )
    parser.add_argument(
        "--tx-per-sec",
        type=float,
        default=float(os.environ.get("TX_PER_SEC", "0")),
        help="TX_PER_SEC: target rate over all users, 0 = no pacing",
    )
    parser.add_argument(
        "--pool-max",
        type=int,
        default=None,
        help="DOUBLEX_POOL_MAX per worker (default: the service's default)",
    )
    parser.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        help="serve with LOG_LEVEL=WARNING (no line per request)",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.duration < 1 or args.warmup < 0 or args.accounts < 2:
        parser.error("--duration ≥ 1, --warmup ≥ 0 and --accounts ≥ 2, please")
    if not 0 <= args.dedupe_rate < 1:
        parser.error("--dedupe-rate is a share: 0 ≤ rate < 1")
    return Options(
        workers=args.workers,
        users=args.users,
        coalesce=args.coalesce,
        duration=args.duration,
        warmup=args.warmup,
        accounts=args.accounts,
        ccy=args.ccy,
        dedupe_rate=args.dedupe_rate,
        tx_per_sec=args.tx_per_sec,
        pool_max=args.pool_max,
        access_log=args.access_log,
        results_dir=args.results_dir,
    )


def say(message: str) -> None:
    print(message, flush=True)


# -- the database ------------------------------------------------------------------------


@dataclass(frozen=True)
class Dsns:
    admin: str
    app: str
    server_admin: str


def bench_dsns(database: str = DATABASE) -> Dsns:
    server = admin_dsn()  # starts the local cluster unless DOUBLEX_DSN is set
    params = {k: v for k, v in conninfo_to_dict(server).items() if v is not None}
    params["dbname"] = database
    admin = make_conninfo(**params)  # type: ignore[arg-type]
    return Dsns(admin=admin, app=config.as_app_role(admin), server_admin=server)


def prepare_database(dsns: Dsns, opts: Options) -> str:
    """Migrate, open the accounts; the API key of tenant default (read, post) the clients
    send."""
    return seed(dsns, DATABASE, opts.accounts, opts.ccy, "bench")


def seed(dsns: Dsns, database: str, accounts: int, ccy: str, key_name: str) -> str:
    """Recreate `database`, migrate it, open accounts A0001…; a key of tenant default (read,
    post), whose token it answers."""
    from doublex import migrate

    with psycopg.connect(dsns.server_admin, autocommit=True) as conn:
        name = sql.Identifier(database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    migrate.apply(dsns.admin)
    with psycopg.connect(dsns.app) as conn:  # doublex_app: SERIALIZABLE by default
        for number in range(1, accounts + 1):
            conn.execute(
                "SELECT ledger.create_account(code => %s, name => %s, ccy => %s)",
                (f"A{number:04d}", f"Bench account {number}", ccy),
            )
    with psycopg.connect(dsns.admin) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE")
        row = conn.execute(
            "SELECT token FROM ledger.create_api_key(%s, ARRAY['read', 'post'],"
            " tenant => 'default',"
            " requests_per_second => ledger_private.api_limit('key_rate_max'),"
            " burst => ledger_private.api_limit('key_burst_max'))",
            (key_name,),
        ).fetchone()
    assert row is not None
    with psycopg.connect(dsns.admin, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return str(row[0])


def count_journals(dsns: Dsns) -> int:
    with psycopg.connect(dsns.admin, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM ledger_private.journal").fetchone()
    return int(row[0]) if row else 0


def broken_invariants(dsns: Dsns) -> list[str]:
    """Σ debits = Σ credits per currency, every journal balanced, one journal per key."""
    checks = {
        "unbalanced currencies": """
            SELECT ccy FROM ledger_private.leg GROUP BY ccy
            HAVING sum(CASE side WHEN 'debit' THEN amount ELSE -amount END) <> 0""",
        "unbalanced journals": """
            SELECT journal_id FROM ledger_private.leg GROUP BY journal_id, ccy
            HAVING sum(CASE side WHEN 'debit' THEN amount ELSE -amount END) <> 0""",
        "keys with several journals": """
            SELECT tenant, idempotency_key FROM ledger_private.journal
             GROUP BY tenant, idempotency_key HAVING count(*) > 1""",
    }
    broken = []
    with psycopg.connect(dsns.admin, autocommit=True) as conn:
        for label, query in checks.items():
            rows = conn.execute(query).fetchall()
            if rows:
                broken.append(f"{label}: {len(rows)}")
    return broken


# -- the service -------------------------------------------------------------------------


@dataclass
class Service:
    base: str
    process: subprocess.Popen[bytes]
    key: str  # the API key the clients send

    def cpu_ms(self) -> float:
        """utime + stime of the serving processes, in milliseconds."""
        return tree_cpu_ms(self.process.pid)


def tree_cpu_ms(root: int) -> float:
    """utime + stime of a process and its descendants, in milliseconds."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                children.setdefault(int(stat[1]), []).append(int(entry.name))
    tree, total, index = [root], 0, 0
    while index < len(tree):
        tree += children.get(tree[index], [])
        stat = _stat(tree[index])
        if stat is not None:
            total += int(stat[11]) + int(stat[12])
        index += 1
    return total * 1000 / CLOCK_TICKS


def postmaster_pid(dsns: Dsns) -> int | None:
    """The local PostgreSQL server's process, to read its CPU time; None when remote."""
    try:
        with psycopg.connect(dsns.admin, autocommit=True) as conn:
            row = conn.execute("SHOW data_directory").fetchone()
        text = (Path(str(row[0])) / "postmaster.pid").read_text() if row else ""
        pid = int(text.split()[0])
    except (OSError, ValueError, IndexError, psycopg.Error):
        return None
    return pid if _stat(pid) is not None else None


def locust_cpu_ms() -> float:
    """CPU of the runner's finished children (the Locust runs), in milliseconds."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: [state, ppid, …]; field n is [n - 3]."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


@contextmanager
def serving(
    dsns: Dsns, key: str, workers: int, coalesce: str, opts: Options, log_path: Path
) -> Iterator[Service]:
    port = localdb.free_port()
    env = os.environ | {
        "DOUBLEX_SERVICE_DSN": config.as_service_role(dsns.admin),
        "LOG_LEVEL": "INFO" if opts.access_log else "WARNING",
        "DOUBLEX_COALESCE": coalesce,
    }
    env.pop("DOUBLEX_DSN", None)  # the service needs the service DSN only
    env.pop("MIGRATE_ON_START", None)
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    if opts.pool_max is not None:
        env["DOUBLEX_POOL_MAX"] = str(opts.pool_max)
    command = [
        str(BIN / "doublex"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        service = Service(f"http://127.0.0.1:{port}", process, key)
        try:
            wait_healthy(service, log_path)
            yield service
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_healthy(service: Service, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if service.process.poll() is not None:
            raise RuntimeError(f"the service exited:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{service.base}/api/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the service did not become healthy in 30 s")


def scrape(service: Service) -> str:
    with urllib.request.urlopen(f"{service.base}/metrics", timeout=10) as response:
        text: str = response.read().decode()
    return text


def retries(text: str) -> float:
    """ledger_serialization_retries_total over every sqlstate (all workers summed)."""
    return sum(
        float(value)
        for value in re.findall(
            r"^ledger_serialization_retries_total(?:\{[^}]*\})? ([0-9.e+-]+)$", text, re.M
        )
    )


def batch_histogram(text: str, operation: str = "transfers") -> dict[str, float]:
    """ledger_coalesce_batch_size{operation}: cumulative bucket counts by bound, `count` and
    `sum`."""
    label = f'operation="{operation}"'
    found = dict(
        re.findall(
            rf'^ledger_coalesce_batch_size_bucket\{{le="([^"]+)",{label}\}} ([0-9.e+-]+)$',
            text,
            re.M,
        )
    )
    histogram = {bound: float(found.get(bound, 0)) for bound in (*BATCH_BOUNDS, "+Inf")}
    for part in ("count", "sum"):
        value = re.search(
            rf"^ledger_coalesce_batch_size_{part}\{{{label}\}} ([0-9.e+-]+)$", text, re.M
        )
        histogram[part] = float(value.group(1)) if value else 0.0
    return histogram


def batch_distribution(before: dict[str, float], after: dict[str, float]) -> dict[str, int]:
    """Posting transactions of the coalescer during a run by batch size range ("1", "2",
    "3-4", …), from the cumulative buckets."""
    distribution: dict[str, int] = {}
    previous_bound, previous_count = 0, 0.0
    for bound in (*BATCH_BOUNDS, "+Inf"):
        count = after[bound] - before[bound]
        low = previous_bound + 1
        label = (
            f"{low}+"
            if bound == "+Inf"
            else (str(low) if low == int(float(bound)) else f"{low}-{int(float(bound))}")
        )
        if count - previous_count:
            distribution[label] = int(count - previous_count)
        previous_count = count
        previous_bound = int(float(bound)) if bound != "+Inf" else previous_bound
    return distribution


# -- Locust ------------------------------------------------------------------------------


def locust(
    service: Service, users: int, seconds: int, opts: Options, samples: Path, log_path: Path
) -> list[tuple[float, float, str]]:
    env = os.environ | {
        "TX_PER_SEC": str(opts.tx_per_sec),
        "ACCOUNT_POOL_SIZE": str(opts.accounts),
        "ACCOUNT_CCY": opts.ccy,
        "DEDUPE_RATE": str(opts.dedupe_rate),
        "SEED_ACCOUNTS": "0",
        "SAMPLES_FILE": str(samples),
        "DOUBLEX_KEY": service.key,
    }
    command = [
        str(BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{seconds}s",
        "--host",
        service.base,
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "10",
    ]
    with log_path.open("ab") as log:
        done = subprocess.run(
            command,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=seconds + 120,
            check=False,
        )
    if not samples.exists():
        raise RuntimeError(
            f"locust wrote no samples (exit {done.returncode}):\n{log_path.read_text()[-3000:]}"
        )
    loaded: list[list[Any]] = json.loads(samples.read_text())["samples"]
    samples.unlink()
    return [(float(s[0]), float(s[1]), str(s[2])) for s in loaded]


# -- one measured run --------------------------------------------------------------------


@dataclass
class Row:
    workers: int
    coalesce: str
    users: int
    seconds: float
    requests: int
    successes: int
    failures: int
    posted: int
    duplicates: int
    success_rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    tps: float
    retries: float
    retries_per_100: float
    cpu_ms_per_request: float
    postgres_cpu_ms_per_request: float
    server_cpu_ms_per_request: float  # service + PostgreSQL
    locust_cpu_ms_per_request: float
    journals_added: int
    failure_kinds: dict[str, int]
    mean_batch: float  # transfers per posting transaction of the coalescer
    batch_sizes: dict[str, int]


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """Nearest rank: the smallest value with at least `share` of the values at or below it."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


def measure(
    service: Service,
    dsns: Dsns,
    workers: int,
    coalesce: str,
    users: int,
    opts: Options,
    scratch: Path,
) -> Row:
    locust_log = scratch / f"locust-{workers}w-{coalesce}-{users}u.log"
    samples_path = scratch / "samples.json"
    if opts.warmup:
        locust(service, users, opts.warmup, opts, samples_path, locust_log)
    journals_before = count_journals(dsns)
    metrics_before = scrape(service)
    postmaster = postmaster_pid(dsns)
    pg_before = tree_cpu_ms(postmaster) if postmaster else math.nan
    locust_before = locust_cpu_ms()
    cpu_before = service.cpu_ms()
    samples = locust(service, users, opts.duration, opts, samples_path, locust_log)
    cpu_after = service.cpu_ms()
    locust_used = locust_cpu_ms() - locust_before
    pg_used = (tree_cpu_ms(postmaster) if postmaster else math.nan) - pg_before
    metrics_after = scrape(service)
    journals_added = count_journals(dsns) - journals_before
    batches_before, batches_after = batch_histogram(metrics_before), batch_histogram(metrics_after)
    batches = batches_after["count"] - batches_before["count"]

    ok = [s for s in samples if not s[2].startswith("failed")]
    latencies = sorted(s[1] for s in ok)
    failure_kinds: dict[str, int] = {}
    for sample in samples:
        if sample[2].startswith("failed"):
            failure_kinds[sample[2]] = failure_kinds.get(sample[2], 0) + 1
    if samples:
        span = max(s[0] + s[1] / 1000 for s in samples) - min(s[0] for s in samples)
    else:
        span = math.nan
    successes = len(ok)
    retried = retries(metrics_after) - retries(metrics_before)
    service_used = cpu_after - cpu_before
    return Row(
        workers=workers,
        coalesce=coalesce,
        users=users,
        seconds=round(span, 2),
        requests=len(samples),
        successes=successes,
        failures=len(samples) - successes,
        posted=sum(1 for s in ok if s[2] == "posted"),
        duplicates=sum(1 for s in ok if s[2] == "duplicate"),
        success_rate=round(100 * successes / len(samples), 3) if samples else math.nan,
        p50_ms=round(percentile(latencies, 0.50), 2),
        p95_ms=round(percentile(latencies, 0.95), 2),
        p99_ms=round(percentile(latencies, 0.99), 2),
        tps=round(successes / span, 1) if successes else 0.0,
        retries=retried,
        retries_per_100=round(100 * retried / successes, 2) if successes else math.nan,
        cpu_ms_per_request=round(service_used / successes, 3) if successes else math.nan,
        postgres_cpu_ms_per_request=round(pg_used / successes, 3) if successes else math.nan,
        server_cpu_ms_per_request=(
            round((service_used + pg_used) / successes, 3) if successes else math.nan
        ),
        locust_cpu_ms_per_request=round(locust_used / successes, 3) if successes else math.nan,
        journals_added=journals_added,
        failure_kinds=failure_kinds,
        mean_batch=(
            round((batches_after["sum"] - batches_before["sum"]) / batches, 2)
            if batches
            else math.nan
        ),
        batch_sizes=batch_distribution(batches_before, batches_after),
    )


# -- the report --------------------------------------------------------------------------


def bars(rows: Sequence[Row]) -> list[tuple[str, str, str]]:
    """(bar, verdict, evidence) per worker count; n/a when the deciding run was not made."""
    verdicts: list[tuple[str, str, str]] = []
    for workers, coalesce in sorted({(row.workers, row.coalesce) for row in rows}):
        mine = {
            row.users: row for row in rows if (row.workers, row.coalesce) == (workers, coalesce)
        }
        at8, at32 = mine.get(8), mine.get(32)
        label = f"{workers} worker{'s' if workers > 1 else ''}, coalescing {coalesce}"
        if at8 is None:
            verdicts.append((f"p95 ≤ {BAR_P95_AT_8_MS:g} ms at 8 users ({label})", "n/a", ""))
        else:
            verdicts.append(
                (
                    f"p95 ≤ {BAR_P95_AT_8_MS:g} ms at 8 users ({label})",
                    "PASS" if at8.p95_ms <= BAR_P95_AT_8_MS else "FAIL",
                    f"p95 {at8.p95_ms} ms",
                )
            )
        bar32 = (
            f"≥ {BAR_TPS_AT_32:,.0f} transfers/s at 32 users, p95 ≤ {BAR_P95_AT_32_MS:g} ms,"
            f" zero failures ({label})"
        )
        if at32 is None:
            verdicts.append((bar32, "n/a", ""))
        else:
            passed = (
                at32.tps >= BAR_TPS_AT_32 and at32.p95_ms <= BAR_P95_AT_32_MS and at32.failures == 0
            )
            verdicts.append(
                (
                    bar32,
                    "PASS" if passed else "FAIL",
                    f"{at32.tps} /s, p95 {at32.p95_ms} ms, {at32.failures} failures",
                )
            )
        worst = max(mine.values(), key=lambda row: row.cpu_ms_per_request)
        verdicts.append(
            (
                f"service CPU ≤ {BAR_CPU_MS:g} ms per successful request ({label})",
                "PASS" if worst.cpu_ms_per_request <= BAR_CPU_MS else "FAIL",
                "worst " + f"{worst.cpu_ms_per_request} ms at {worst.users} users",
            )
        )
    return verdicts + coalescing_bars(rows)


def pairs(rows: Sequence[Row]) -> list[tuple[Row, Row]]:
    """(off, on) runs of the same worker and user count, in run order."""
    found = {(row.workers, row.users, row.coalesce): row for row in rows}
    return [
        (found[(row.workers, row.users, "off")], row)
        for row in rows
        if row.coalesce == "on" and (row.workers, row.users, "off") in found
    ]


def coalescing_bars(rows: Sequence[Row]) -> list[tuple[str, str, str]]:
    """Issue #19's bars, per worker count, from the same run's off and on rows."""
    verdicts: list[tuple[str, str, str]] = []
    for off, on in pairs(rows):
        label = f"{on.workers} worker{'s' if on.workers > 1 else ''}"
        if on.users == 64:
            verdicts.append(
                (
                    f"server CPU ≤ {BAR_SERVER_CPU_AT_64_MS:g} ms per transfer at 64 users,"
                    f" coalescing on ({label})",
                    "PASS" if on.server_cpu_ms_per_request <= BAR_SERVER_CPU_AT_64_MS else "FAIL",
                    f"{on.server_cpu_ms_per_request} ms (off: {off.server_cpu_ms_per_request} ms)",
                )
            )
            ratio = on.tps / off.tps if off.tps else math.nan
            passed = (
                ratio >= BAR_TPS_RATIO_AT_64 and on.p95_ms <= BAR_P95_AT_64_MS and on.failures == 0
            )
            verdicts.append(
                (
                    f"transfers/s at 64 users on ≥ {BAR_TPS_RATIO_AT_64:g} x off, p95 ≤"
                    f" {BAR_P95_AT_64_MS:g} ms, zero failures ({label})",
                    "PASS" if passed else "FAIL",
                    f"{ratio:.2f} x ({on.tps} against {off.tps} /s), p95 {on.p95_ms} ms,"
                    f" {on.failures} failures",
                )
            )
        if on.users == 1:
            verdicts.append(
                (
                    f"p50 at 1 user on ≤ off + {BAR_P50_AT_1_EXTRA_MS:g} ms ({label})",
                    "PASS" if on.p50_ms <= off.p50_ms + BAR_P50_AT_1_EXTRA_MS else "FAIL",
                    f"{on.p50_ms} against {off.p50_ms} ms",
                )
            )
    return verdicts


def comparison(rows: Sequence[Row]) -> str:
    """Coalescing on against off, same run, same worker and user count."""
    lines = [
        "| workers | users | TPS off | TPS on | on/off | p95 off | p95 on"
        " | server CPU ms/transfer off | on | on/off | mean batch | batch sizes (on) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for off, on in pairs(rows):
        tps = on.tps / off.tps if off.tps else math.nan
        cpu = (
            on.server_cpu_ms_per_request / off.server_cpu_ms_per_request
            if off.server_cpu_ms_per_request
            else math.nan
        )
        sizes = ", ".join(f"{size}: {count}" for size, count in on.batch_sizes.items())
        lines.append(
            f"| {on.workers} | {on.users} | {off.tps:g} | {on.tps:g} | {tps:.2f} |"
            f" {off.p95_ms:g} | {on.p95_ms:g} | {off.server_cpu_ms_per_request:g} |"
            f" {on.server_cpu_ms_per_request:g} | {cpu:.2f} | {on.mean_batch:g} | {sizes} |"
        )
    return "\n".join(lines)


COLUMNS = [
    ("workers", "workers"),
    ("coalesce", "coalescing"),
    ("users", "users"),
    ("requests", "requests"),
    ("successes", "ok"),
    ("failures", "failed"),
    ("success_rate", "ok %"),
    ("duplicates", "replays"),
    ("p50_ms", "p50 ms"),
    ("p95_ms", "p95 ms"),
    ("p99_ms", "p99 ms"),
    ("tps", "TPS"),
    ("retries", "retries"),
    ("retries_per_100", "retries/100"),
    ("cpu_ms_per_request", "CPU ms/req"),
    ("postgres_cpu_ms_per_request", "PG CPU ms/req"),
    ("server_cpu_ms_per_request", "server CPU ms/req"),
    ("locust_cpu_ms_per_request", "Locust CPU ms/req"),
    ("mean_batch", "mean batch"),
]


def table(rows: Sequence[Row]) -> str:
    head = "| " + " | ".join(title for _, title in COLUMNS) + " |"
    rule = "|" + "|".join("---:" for _ in COLUMNS) + "|"
    lines = [head, rule]
    for row in rows:
        values = asdict(row)
        lines.append("| " + " | ".join(_cell(values[key]) for key, _ in COLUMNS) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}" if not value.is_integer() else f"{value:.0f}"
    return str(value)


def machine_facts() -> dict[str, str]:
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "host": platform.node(),
        "cpu": f"{os.cpu_count()} x {cpu}",
        "python": platform.python_version(),
        "load average at start (1/5/15 min)": load,
    }


def write_report(
    rows: Sequence[Row], opts: Options, meta: dict[str, str], problems: list[str]
) -> str:
    verdicts = bars(rows)
    settings = {
        "duration per run": f"{opts.duration} s (after {opts.warmup} s of warm-up)",
        "ACCOUNT_POOL_SIZE": str(opts.accounts),
        "ACCOUNT_CCY": opts.ccy,
        "DEDUPE_RATE": str(opts.dedupe_rate),
        "TX_PER_SEC": str(opts.tx_per_sec) + (" (no pacing)" if opts.tx_per_sec <= 0 else ""),
        "DOUBLEX_POOL_MAX per worker": str(opts.pool_max or config.load().pool_max),
        "access log": "on (one line per request)" if opts.access_log else "off",
        "DOUBLEX_COALESCE modes": ", ".join(opts.coalesce),
        "DOUBLEX_COALESCE_MAX_BATCH, DOUBLEX_COALESCE_MAX_WAIT_MS": (
            f"{config.load().coalesce.max_batch}, {config.load().coalesce.max_wait_ms:g}"
        ),
    }
    lines = [
        "# DoubleX REST benchmark (Locust)",
        "",
        "`make bench-api` — bench/run_api_bench.py; latencies are the client's view "
        "(nearest rank over the successful requests of the measured run), TPS counts "
        "successful transfers (201 and replayed 200) per second, CPU is utime + stime of the "
        "serving processes per successful request (PG: the PostgreSQL server's processes, "
        "Locust: the load generator, for reading where the machine's CPU went). The load "
        "generator, PostgreSQL and the service share the machine: numbers are indicative.",
        "",
        *(f"- {key}: {value}" for key, value in (meta | settings).items()),
        "",
        table(rows),
        "",
        "## Request coalescing: on against off",
        "",
        "Same run, same worker and user count; server CPU is the service's plus PostgreSQL's"
        " per successful transfer; a batch size is the transfers of one posting transaction of"
        " the coalescer (1: a transfer that went alone).",
        "",
        comparison(rows),
        "",
        "## Bars (reported, not enforced)",
        "",
        "| bar | verdict | measured |",
        "|---|---|---|",
        *(f"| {bar} | {verdict} | {evidence} |" for bar, verdict, evidence in verdicts),
        "",
    ]
    if problems:
        lines += ["## Problems", "", *(f"- {p}" for p in problems), ""]
    markdown = "\n".join(lines)
    opts.results_dir.mkdir(parents=True, exist_ok=True)
    (opts.results_dir / f"{STEM}.md").write_text(markdown, encoding="utf-8")
    document = {
        "meta": meta,
        "settings": settings,
        "rows": [asdict(row) for row in rows],
        "bars": [{"bar": b, "verdict": v, "measured": e} for b, v, e in verdicts],
        "problems": problems,
    }
    (opts.results_dir / f"{STEM}.json").write_text(
        json.dumps(document, indent=2, ensure_ascii=False, allow_nan=True) + "\n",
        encoding="utf-8",
    )
    return markdown


# -- main --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_options(sys.argv[1:] if argv is None else argv)
    if not (BIN / "locust").exists():
        say("locust is not installed: .venv/bin/pip install -e '.[bench]' (make bench-api does)")
        return 2
    meta = machine_facts()
    dsns = bench_dsns()
    say(f"preparing {DATABASE}: migrate, {opts.accounts} accounts …")
    key = prepare_database(dsns, opts)
    rows: list[Row] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="doublex-api-bench-") as tmp:
        scratch = Path(tmp)
        for workers in opts.workers:
            for coalesce in opts.coalesce:
                service_log = scratch / f"service-{workers}w-{coalesce}.log"
                with serving(dsns, key, workers, coalesce, opts, service_log) as service:
                    for users in opts.users:
                        say(
                            f"{workers} worker(s), coalescing {coalesce}, {users} users: "
                            f"{opts.warmup} s warm-up, {opts.duration} s measured …"
                        )
                        row = measure(service, dsns, workers, coalesce, users, opts, scratch)
                        rows.append(row)
                        say(
                            f"  {row.successes} ok, {row.failures} failed, p50 {row.p50_ms} ms,"
                            f" p95 {row.p95_ms} ms, p99 {row.p99_ms} ms, {row.tps} /s,"
                            f" {row.retries:g} retries, {row.server_cpu_ms_per_request} server"
                            f" CPU ms/req, mean batch {row.mean_batch}"
                        )
                        if row.journals_added != row.posted:
                            problems.append(
                                f"{workers} worker(s), coalescing {coalesce}, {users} users:"
                                f" {row.posted} requests answered 201 but the database gained"
                                f" {row.journals_added} journals"
                            )
                if "Traceback" in service_log.read_text(errors="replace"):
                    problems.append(
                        f"the {workers}-worker service (coalescing {coalesce}) logged a traceback"
                    )
    problems += broken_invariants(dsns)
    meta["load average at end (1/5/15 min)"] = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    markdown = write_report(rows, opts, meta, problems)
    say("")
    say(markdown)
    say(f"wrote {opts.results_dir / STEM}.md and .json")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
