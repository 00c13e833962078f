"""Hostile-input bench: the corpus of tests/support/hostile.py against a real `doublex serve`.

    .venv/bin/python bench/run_hostile_bench.py               # make bench-hostile
    .venv/bin/python bench/run_hostile_bench.py --rounds 5    # the corpus five times

A throwaway cluster (tests/support/cluster.py) with a fresh migrated database and the
accounts the corpus's bodies name; `doublex serve` as production runs it (a subprocess, its
own pool). Each case is sent on its own, one after another, and timed at the client from
sending to the last byte of the answer. The service's resident memory (VmRSS of its
process) is read once it is healthy, after one warm-up pass of the corpus (not timed) and
after the measured rounds; the growth is from healthy to the end.

Bars (README, "Limits"): the slowest case answers in at most 50 ms; the service's memory
grows by at most 50 MiB over the measured rounds. Every answer must be 4xx: a 5xx or 2xx
fails the run (exit 1), as does a written journal, account or rate. The table goes to the
terminal and to bench/results/hostile-bench.md and .json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shell"), str(ROOT / "tests")]

from doublex.config import SERVICE_ROLE  # noqa: E402
from support.cluster import TestCluster  # noqa: E402
from support.hostile import Case, corpus, send_headers, written_rows  # noqa: E402
from support.http import bearer, create_key  # noqa: E402
from support.serving import doublex_serve  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SLOWEST_BAR_MS = 50.0
GROWTH_BAR_MIB = 50.0
SEED = [("1001-CASH", "asset", "EUR"), ("4001-SALES", "income", "EUR"),
        ("2001-LOAN", "liability", "EUR"), ("1101-USD-CASH", "asset", "USD")]  # fmt: skip


def serve_pid(port: str) -> int:
    """The pid of our child `doublex serve` on that port (read from /proc)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and b"serve" in cmdline and port.encode() in cmdline:
            return int(entry)
    raise RuntimeError("the service process was not found")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def run_corpus(base: str, token: str, cases: Sequence[Case]) -> list[tuple[str, int, float]]:
    """(case id, status, milliseconds) of each case, sent one after another with the API key
    `token` (a valid key: the hostile part of each case is what the service must refuse)."""
    results = []
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(base, timeout=timeout, headers=bearer(token)) as session:
        for case in cases:
            started = time.perf_counter()
            async with session.request(
                case.method, case.path, data=case.body, headers=send_headers(case)
            ) as response:
                await response.read()
                status = response.status
            results.append((case.id, status, (time.perf_counter() - started) * 1000))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="measured passes of the corpus")
    options = parser.parse_args(argv)
    cases = corpus()
    cluster = TestCluster().start()
    try:
        cluster.create_template()
        database = cluster.create_database()
        admin, app = cluster.admin_dsn(database), cluster.app_dsn(database)
        service = cluster.cluster.dsn(database, user=SERVICE_ROLE)
        token = create_key(admin)["token"]
        with psycopg.connect(app, autocommit=True) as conn:
            for code, kind, ccy in SEED:
                conn.execute(
                    "SELECT ledger.create_account(code => %s, name => %s, ccy => %s, type => %s)",
                    (code, code, ccy, kind),
                )
        before = written_rows(admin)
        with tempfile.TemporaryDirectory() as folder:
            log = Path(folder) / "serve.log"
            with doublex_serve(service, log, LOG_LEVEL="WARNING") as base:
                pid = serve_pid(base.rsplit(":", 1)[1])
                fresh_rss = rss_mib(pid)
                asyncio.run(run_corpus(base, token, cases))  # warm-up: imports, pool, caches
                start_rss = rss_mib(pid)
                rounds = []
                for _ in range(options.rounds):
                    rounds.append(asyncio.run(run_corpus(base, token, cases)))
                    rss_after = rss_mib(pid)
            served_log = log.read_text()
        written = written_rows(admin) != before
    finally:
        cluster.stop()
    memory = (fresh_rss, start_rss, rss_after)
    return report(cases, rounds, memory, written, "Traceback" in served_log)


def report(
    cases: Sequence[Case],
    rounds: list[list[tuple[str, int, float]]],
    memory: tuple[float, float, float],
    written: bool,
    traceback: bool,
) -> int:
    samples = [result for one in rounds for result in one]
    times = sorted(ms for _, _, ms in samples)
    slowest = sorted(samples, key=lambda result: -result[2])[:5]
    not_4xx = sorted({f"{case} → {status}" for case, status, _ in samples if status // 100 != 4})
    fresh_rss, start_rss, end_rss = memory
    growth = end_rss - fresh_rss  # over every pass of the corpus, warm-up included
    facts: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_version()}",
        "cases": len(cases),
        "requests": len(samples),
        "median_ms": round(statistics.median(times), 2),
        "p99_ms": round(times[int(len(times) * 0.99) - 1], 2),
        "slowest_ms": round(times[-1], 2),
        "slowest": [(case, round(ms, 1)) for case, _, ms in slowest],
        "rss_fresh_mib": round(fresh_rss, 1),
        "rss_after_warm_up_mib": round(start_rss, 1),
        "rss_end_mib": round(end_rss, 1),
        "rss_growth_mib": round(growth, 1),
        "not_4xx": not_4xx,
        "written": written,
        "traceback_in_log": traceback,
    }
    bars = [
        ("slowest answer ≤ 50 ms", facts["slowest_ms"] <= SLOWEST_BAR_MS),
        ("memory growth ≤ 50 MiB", growth <= GROWTH_BAR_MIB),
        ("every answer 4xx", not not_4xx),
        ("nothing written", not written),
        ("no traceback in the log", not traceback),
    ]
    lines = [
        "# Hostile-input bench",
        "",
        f"{facts['when']} · {facts['machine']} · `.venv/bin/python bench/run_hostile_bench.py`",
        "",
        "| measure | value |",
        "|---|---|",
        f"| cases, rounds | {len(cases)} cases, {len(rounds)} rounds: {len(samples)} requests |",
        f"| median / p99 / slowest | {facts['median_ms']} / {facts['p99_ms']} / "
        f"{facts['slowest_ms']} ms |",
        f"| service RSS: healthy → after a warm-up pass → after the rounds | "
        f"{facts['rss_fresh_mib']} → {facts['rss_after_warm_up_mib']} → "
        f"{facts['rss_end_mib']} MiB ({facts['rss_growth_mib']:+} MiB) |",
        "",
        "Slowest cases: " + ", ".join(f"`{case}` {ms} ms" for case, ms in facts["slowest"]),
        "",
        "| bar | result |",
        "|---|---|",
        *(f"| {bar} | {'PASS' if passed else 'FAIL'} |" for bar, passed in bars),
    ]
    if not_4xx:
        lines += ["", "Not 4xx:", *(f"- {item}" for item in not_4xx[:50])]
    text = "\n".join(lines) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "hostile-bench.md").write_text(text)
    (RESULTS / "hostile-bench.json").write_text(json.dumps(facts, indent=2) + "\n")
    # The timing and memory bars are reported; a wrong answer or a write fails the run.
    return 1 if not_4xx or written or traceback else 0


if __name__ == "__main__":
    sys.exit(main())
