"""Failover benchmark: the primary of a local pg_auto_failover formation SIGKILLed under load,
several times in a row, and what synchronous replication costs a commit.

    nice -n 19 .venv/bin/python bench/failover.py              # 4 runs, faults alternating
    nice -n 19 .venv/bin/python bench/failover.py --runs 5 --workers 8

Steps: create a throwaway formation (`doublex ha init`: a monitor, a primary and a
synchronous standby on 127.0.0.1, the DoubleX database migrated on the primary) in a
temporary folder on free ports, open the accounts, then --runs times the scenario of
tests/test_ha.py (tests/support/failover.py): `doublex serve` on the multi-host URI, --workers
clients posting transfers that replay the same idempotency key on a 503 or a broken
connection, the primary SIGKILLed after --before seconds (--mode: `node`, its keeper and
its postmaster, the machine lost; `postmaster` alone under its live keeper; `both`
alternating, node first), the load going on
until --after seconds past the first write acknowledged again; between runs the formation
settles (the old primary back as the standby). Each run: seconds until the monitor named
the new primary, the unavailability window (first failed to first acknowledged write after
the kill), acknowledged, lost and duplicated journals.

Then the cost of the synchronous standby: --commits sequential ledger.post_journal calls on
the primary in alternating rounds with `synchronous_commit = on` (the commit waits for the
standby) and `local` (it does not), one session each; p50/p95 per setting.

One table goes to the terminal and to bench/results/failover.md and .json. The bar (issue
#20): 0 lost, 0 duplicates, unavailability ≤ 30 s in every run; exit status 2 with --strict
when it fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from doublex import ha
from support.failover import fail_over_under_load, open_accounts, throwaway_formation

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BAR_UNAVAILABLE_S = 30.0


@dataclass
class Run:
    run: int
    fault: str  # "node lost" (keeper and postmaster) or "postmaster" (keeper alive)
    killed: str
    promoted: str
    promoted_after_s: float
    unavailable_s: float
    acknowledged: int
    lost: int
    duplicates: int
    replays: int
    outcome_unknown: int  # 503 outcome_unknown answers, replayed with the same key


@dataclass
class Latency:
    synchronous_commit: str
    commits: int
    p50_ms: float
    p95_ms: float


def commit_latency(uri: str, setting: str, commits: int, start: int) -> list[float]:
    """`commits` postings one after another with synchronous_commit = `setting`; ms each."""
    legs = json.dumps(
        [
            {"account": "EUR-A", "side": "debit", "amount": "1.00", "ccy": "EUR"},
            {"account": "EUR-B", "side": "credit", "amount": "1.00", "ccy": "EUR"},
        ]
    )
    latencies = []
    with psycopg.connect(uri) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        conn.execute(f"SET synchronous_commit = {setting}")
        conn.commit()
        for n in range(start, start + commits):
            began = time.perf_counter()
            conn.execute(
                "SELECT ledger.post_journal(%s, %s::jsonb, tenant => 'default')",
                (f"latency-{n}", legs),
            )
            conn.commit()
            latencies.append((time.perf_counter() - began) * 1000)
    return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def report(runs: list[Run], latencies: list[Latency], opts: argparse.Namespace) -> str:
    lines = [
        "# Failover under load (bench/failover.py)",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores;"
        f" {opts.workers} clients through `doublex serve` on the multi-host URI; after"
        f" {opts.before:g} s of load the primary is SIGKILLed: `node lost` kills its keeper's"
        " process group and its postmaster (nothing restarts it: the monitor promotes the"
        " standby; the old node's keeper is started again once writes succeed), `postmaster`"
        " kills the postmaster only (its live keeper restarts it with crash recovery, unless"
        " the monitor fails over first). `promoted after` is nan when no failover happened.",
        "",
        "| run | fault | killed | primary after | promoted after (s) | unavailable (s)"
        " | acknowledged | lost | duplicates | replays | of which outcome_unknown |",
        "|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r.run} | {r.fault} | {r.killed} | {r.promoted} | {r.promoted_after_s:.2f} |"
            f" {r.unavailable_s:.2f} | {r.acknowledged} | {r.lost} | {r.duplicates} |"
            f" {r.replays} | {r.outcome_unknown} |"
        )
    windows = [r.unavailable_s for r in runs]
    lines += [
        "",
        f"Unavailability: min {min(windows):.2f} s, median {statistics.median(windows):.2f} s,"
        f" max {max(windows):.2f} s (bar ≤ {BAR_UNAVAILABLE_S:g} s); lost"
        f" {sum(r.lost for r in runs)}, duplicates {sum(r.duplicates for r in runs)} (bar 0).",
        "",
        "## Commit latency with the synchronous standby",
        "",
        "Sequential `ledger.post_journal` on the primary, one session per setting, rounds"
        " alternating in one run.",
        "",
        "| synchronous_commit | commits | p50 (ms) | p95 (ms) |",
        "|---|---:|---:|---:|",
    ]
    for lat in latencies:
        lines.append(
            f"| {lat.synchronous_commit} | {lat.commits} | {lat.p50_ms:.2f} | {lat.p95_ms:.2f} |"
        )
    return "\n".join(lines) + "\n"


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=4, help="failovers in a row")
    parser.add_argument("--workers", type=int, default=6, help="clients posting")
    parser.add_argument("--before", type=float, default=3.0, help="seconds of load before")
    parser.add_argument("--after", type=float, default=4.0, help="seconds of load after")
    parser.add_argument(
        "--mode",
        choices=["node", "postmaster", "both"],
        default="both",
        help="kill the keeper and the postmaster (node), the postmaster only, or alternate",
    )
    parser.add_argument("--commits", type=int, default=400, help="postings per latency setting")
    parser.add_argument("--strict", action="store_true", help="exit 2 when the bar fails")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    opts = parse(argv)
    runs: list[Run] = []
    latencies: list[Latency] = []
    with throwaway_formation() as formation:
        uri = formation.uri()
        open_accounts(uri)
        for run in range(1, opts.runs + 1):
            formation.wait_for(lambda states: ha.settled(states, 2), timeout=120)
            lose_node = opts.mode == "node" or (opts.mode == "both" and run % 2 == 1)
            outcome = fail_over_under_load(
                formation,
                formation.home / f"serve-{run}.log",
                workers=opts.workers,
                before=opts.before,
                after=opts.after,
                prefix=f"failover-{run}-",
                lose_node=lose_node,
            )
            runs.append(
                Run(
                    run=run,
                    fault="node lost" if lose_node else "postmaster",
                    killed=outcome.old,
                    promoted=outcome.new,
                    promoted_after_s=outcome.promoted,
                    unavailable_s=outcome.unavailable,
                    acknowledged=len(outcome.tally.acknowledged),
                    lost=len(outcome.lost),
                    duplicates=outcome.duplicates,
                    replays=outcome.tally.replays,
                    outcome_unknown=outcome.tally.unavailable_codes.get("outcome_unknown", 0),
                )
            )
            print(runs[-1], flush=True)
        formation.wait_for(lambda states: ha.settled(states, 2), timeout=120)
        samples: dict[str, list[float]] = {"on": [], "local": []}
        rounds = 4
        for round_ in range(rounds):
            for setting in samples:
                start = round_ * opts.commits + (0 if setting == "on" else 10**6)
                samples[setting] += commit_latency(uri, setting, opts.commits // rounds, start)
        latencies = [
            Latency(setting, len(values), percentile(values, 50), percentile(values, 95))
            for setting, values in samples.items()
        ]
    text = report(runs, latencies, opts)
    print(text)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "failover.md").write_text(text)
    (RESULTS_DIR / "failover.json").write_text(
        json.dumps(
            {"runs": [asdict(r) for r in runs], "commit_latency": [asdict(x) for x in latencies]},
            indent=2,
        )
        + "\n"
    )
    met = all(
        r.lost == 0 and r.duplicates == 0 and r.unavailable_s <= BAR_UNAVAILABLE_S for r in runs
    )
    return 2 if opts.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
