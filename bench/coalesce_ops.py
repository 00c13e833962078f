"""Holds and captures over REST, request coalescing off against on, in one run.

    .venv/bin/python bench/coalesce_ops.py                          # 32 users, 10 s per mode
    .venv/bin/python bench/coalesce_ops.py --users 8 --duration 5  # a quick look

Steps: as bench/run_api_bench.py (its helpers): recreate the database `doublex_api_bench`,
migrate it, open the accounts, then for each DOUBLEX_COALESCE mode (off, then on) serve it
with `doublex serve --workers N` and run a closed loop of `--users` clients in this
process: each creates a hold (POST /api/holds, two legs between two accounts of its own)
and captures it (POST /api/holds/{id}/capture), again and again. A warm-up (discarded),
then the measured run, around which the runner reads the CPU time (utime + stime from
/proc) of the serving processes and of the PostgreSQL server, and the
ledger_coalesce_batch_size histogram of the holds and the captures from /metrics. One table
goes to the terminal and to bench/results/coalesce-ops.md and .json: requests/s, p50/p95,
server CPU (service + PostgreSQL) per request, and the mean batch per operation; the ratios
of on against off are measured within the run, so they hold on a shared machine where the
absolute numbers do not.

The exit status is 1 when a request failed (any answer but 201) or the books do not balance.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp
from run_api_bench import (
    RESULTS_DIR,
    Dsns,
    batch_histogram,
    bench_dsns,
    broken_invariants,
    parse_options,
    percentile,
    postmaster_pid,
    say,
    scrape,
    seed,
    serving,
    tree_cpu_ms,
)

STEM = "coalesce-ops"
DATABASE = "doublex_api_bench"
OPERATIONS = ("holds", "captures")


@dataclass
class Result:
    coalesce: str
    users: int
    requests: int
    failed: int
    seconds: float
    p50_ms: float
    p95_ms: float
    service_cpu_ms: float
    pg_cpu_ms: float
    batches: dict[str, float]  # operation → mean requests per transaction

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def server_cpu_per_request_ms(self) -> float:
        return (self.service_cpu_ms + self.pg_cpu_ms) / max(self.requests, 1)


async def client_loop(
    session: aiohttp.ClientSession, base: str, user: int, accounts: int, until: float,
    latencies: list[float], failures: list[str],
) -> None:  # fmt: skip
    """Create a hold and capture it, until `until`: each answer's latency, or its failure."""
    debit, credit = f"A{2 * user % accounts + 1:04d}", f"A{(2 * user + 1) % accounts + 1:04d}"
    legs = [
        {"account": debit, "side": "debit", "amount": "1.00", "ccy": "EUR"},
        {"account": credit, "side": "credit", "amount": "1.00", "ccy": "EUR"},
    ]
    number = 0
    while time.monotonic() < until:
        number += 1
        key = f"u{user}-{number}-{time.monotonic_ns()}"
        started = time.perf_counter()
        async with session.post(
            f"{base}/api/holds", json={"idempotency_key": key, "legs": legs}
        ) as response:
            document = await response.json(content_type=None)
            if response.status != 201:
                failures.append(f"hold {response.status}: {document}")
                continue
        latencies.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        path = f"{base}/api/holds/{document['hold_id']}/capture"
        async with session.post(path, json={"idempotency_key": f"c-{key}"}) as response:
            if response.status != 201:
                failures.append(f"capture {response.status}: {await response.text()}")
                continue
        latencies.append((time.perf_counter() - started) * 1000)


async def load(base: str, token: str, users: int, accounts: int, seconds: float) -> tuple[
    list[float], list[str]
]:  # fmt: skip
    latencies: list[float] = []
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
        until = time.monotonic() + seconds
        await asyncio.gather(
            *(
                client_loop(session, base, user, accounts, until, latencies, failures)
                for user in range(users)
            )
        )
    return latencies, failures


def mean_batches(before: str, after: str) -> dict[str, float]:
    found = {}
    for operation in OPERATIONS:
        start, end = batch_histogram(before, operation), batch_histogram(after, operation)
        count = end["count"] - start["count"]
        found[operation] = (end["sum"] - start["sum"]) / count if count else 0.0
    return found


def measure(dsns: Dsns, token: str, coalesce: str, args: argparse.Namespace) -> Result:
    opts = parse_options(["--workers", str(args.workers)])
    postmaster = postmaster_pid(dsns)
    with (
        tempfile.TemporaryDirectory() as scratch,
        serving(dsns, token, args.workers, coalesce, opts, Path(scratch) / "serve.log") as service,
    ):
        asyncio.run(load(service.base, token, args.users, args.accounts, args.warmup))
        metrics_before = scrape(service)
        service_cpu = service.cpu_ms()
        pg_cpu = tree_cpu_ms(postmaster) if postmaster else 0.0
        started = time.monotonic()
        latencies, failures = asyncio.run(
            load(service.base, token, args.users, args.accounts, args.duration)
        )
        seconds = time.monotonic() - started
        service_cpu = service.cpu_ms() - service_cpu
        pg_cpu = (tree_cpu_ms(postmaster) if postmaster else 0.0) - pg_cpu
        metrics_after = scrape(service)
    latencies.sort()
    for failure in failures[:5]:
        say(f"  failed: {failure}")
    return Result(
        coalesce, args.users, len(latencies), len(failures), seconds,
        percentile(latencies, 0.50), percentile(latencies, 0.95), service_cpu, pg_cpu,
        mean_batches(metrics_before, metrics_after),
    )  # fmt: skip


def _batch(mean: float) -> str:
    return f"{mean:.1f}" if mean else "—"  # coalescing off records no batches


def table(results: Sequence[Result]) -> str:
    lines = [
        "| coalescing | users | requests/s | p50 ms | p95 ms | server CPU ms/request"
        " (service + PG) | mean batch: holds | mean batch: captures | failed |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.coalesce} | {r.users} | {r.per_second:,.0f} | {r.p50_ms:.1f} | {r.p95_ms:.1f}"
            f" | {r.server_cpu_per_request_ms:.2f} ({r.service_cpu_ms / max(r.requests, 1):.2f}"
            f" + {r.pg_cpu_ms / max(r.requests, 1):.2f}) | {_batch(r.batches['holds'])}"
            f" | {_batch(r.batches['captures'])} | {r.failed} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per mode")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds, discarded")
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    dsns = bench_dsns(DATABASE)
    say(f"seeding {DATABASE} ({args.accounts} accounts)")
    token = seed(dsns, DATABASE, args.accounts, "EUR", "bench-coalesce-ops")
    results = []
    for coalesce in ("off", "on"):
        say(f"coalescing {coalesce}: {args.users} users, {args.duration:g} s")
        results.append(measure(dsns, token, coalesce, args))
    off, on = results
    ratios = (
        f"on/off: requests/s x{on.per_second / off.per_second:.2f}, server CPU per request"
        f" x{on.server_cpu_per_request_ms / off.server_cpu_per_request_ms:.2f}"
    )
    report = "\n".join(
        [
            "# Holds and captures over REST, request coalescing off against on",
            "",
            f"`bench/coalesce_ops.py --users {args.users} --workers {args.workers}"
            f" --duration {args.duration:g}`: each user creates a hold and captures it, in a"
            " closed loop; one request is a hold or a capture answered 201. Same run, same"
            " machine (shared: compare the ratios, not the absolute numbers).",
            "",
            table(results),
            "",
            ratios,
            "",
        ]
    )
    say(report)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / f"{STEM}.md").write_text(report)
    document: dict[str, Any] = {"results": [asdict(r) for r in results], "ratios": ratios}
    (args.results_dir / f"{STEM}.json").write_text(json.dumps(document, indent=2) + "\n")
    broken = broken_invariants(dsns)
    for problem in broken:
        say(f"BROKEN: {problem}")
    return 1 if broken or off.failed or on.failed else 0


if __name__ == "__main__":
    sys.exit(main())
