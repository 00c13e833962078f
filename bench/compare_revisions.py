"""Is this revision slower than an earlier one? The SQL benchmark of both, in one run.

    .venv/bin/python bench/compare_revisions.py --base HEAD~1          # make bench-compare
    .venv/bin/python bench/compare_revisions.py --base c545a49 --rounds 3 --duration 5

A refactoring must not slow the posting paths, and a figure from last week's report says
little about today's machine. So both revisions are measured here, on one cluster, one
after the other, in alternating order (base, head, then head, base, …) so that a drift of
the machine (a checkpoint, a neighbour's load) weighs on both alike. The base revision is
checked out into a temporary git worktree and run with its own `bench/run_sql_bench.py`,
`migrations/` and `procedures/` (DOUBLEX_HOME and PYTHONPATH point at it); each run drops,
migrates and seeds the bench database afresh, so the two never share state.

The noise of the machine is read from the same run: the spread between the rounds of one
revision, and how far the INSERT ceiling (no ledger code, identical in both) moved between
them. A scenario is called slower only when head's mean throughput falls below the base's
by more than that noise. Report: bench/results/sql-compare.md and .json.

`--sequence-events` (make bench-events: hot@16 against ddd941e, the revision before the
event log) runs the event sequencer beside head's rounds, as `doublex serve` does: a
thread calling ledger.sequence_events on the bench database at the service's cadence (0.2 s).
The report then adds the sequencer's lag under that load (the age of the oldest event of
each batch when it got its position), once the seed's own events are drained.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from event_sequencer import Sequencer
from revisions import (
    BENCH_DATABASE,
    checked_out,
    cluster_dsn,
    git,
    order_of_rounds,
    spread_pct,
    tree_env,
    with_dbname,
)

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
POSTING_SCENARIOS = "uniform,hot,pair,batch100,balance"
CEILING = "insert1"  # a plain INSERT: no ledger code, the same in both revisions

Samples = dict[str, list[float]]  # "scenario@clients" → throughput of each round


@dataclass(frozen=True)
class Comparison:
    run: str  # scenario@clients
    base: list[float]
    head: list[float]
    base_mean: float
    head_mean: float
    change_pct: float  # head against base
    noise_pct: float  # largest spread between the rounds of one revision
    verdict: str  # "slower", "faster" or "same"


def compare(base: Samples, head: Samples) -> list[Comparison]:
    """One row per run present in both revisions, in the base report's order.

    The noise of a run is the largest of: the spread of base's rounds, the spread of head's
    rounds, and how far the INSERT ceiling at the same client count moved between the two
    revisions: that script runs no ledger code, so whatever it moved is the machine.
    """
    means = {
        run: (statistics.fmean(base[run]), statistics.fmean(head[run]))
        for run in base
        if base[run] and head.get(run)
    }
    rows = []
    for run, (base_mean, head_mean) in means.items():
        change = 100.0 * (head_mean - base_mean) / base_mean if base_mean else 0.0
        ceiling = means.get(f"{CEILING}@{run.split('@')[-1]}")
        drift = abs(100.0 * (ceiling[1] - ceiling[0]) / ceiling[0]) if ceiling else 0.0
        noise = max(spread_pct(base[run]), spread_pct(head[run]), drift)
        verdict = "slower" if change < -noise else "faster" if change > noise else "same"
        rows.append(
            Comparison(run, base[run], head[run], base_mean, head_mean, change, noise, verdict)
        )
    return rows


def throughputs(report: Mapping[str, object]) -> dict[str, float]:
    """scenario@clients → throughput (journals/s for batches, else TPS) of a sql-bench.json."""
    sections = report["sections"]
    assert isinstance(sections, list)
    return {
        f"{r['scenario']}@{r['clients']}": float(r["throughput"])
        for section in sections
        for r in section["results"]
    }


def add_round(samples: Samples, report: Mapping[str, object]) -> None:
    for run, value in throughputs(report).items():
        samples.setdefault(run, []).append(value)


def render_markdown(rows: Sequence[Comparison], meta: Mapping[str, str]) -> str:
    lines = ["# DoubleX SQL benchmark: head against base", ""]
    lines += [f"- {key}: {value}" for key, value in meta.items()]
    lines += [
        "",
        "| run | base per round | head per round | base mean | head mean | change | noise "
        "| verdict |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for r in rows:
        per_round = " / ".join
        lines.append(
            f"| {r.run} | {per_round(f'{v:,.0f}' for v in r.base)} "
            f"| {per_round(f'{v:,.0f}' for v in r.head)} | {r.base_mean:,.0f} "
            f"| {r.head_mean:,.0f} | {r.change_pct:+.1f}% | ±{r.noise_pct:.1f}% | {r.verdict} |"
        )
    lines += [
        "",
        "Throughput is TPS (journals/s for batch100). *noise* is the largest spread between "
        "the rounds of one revision or the move of the INSERT ceiling between revisions; "
        "*slower* means head's mean is below base's by more "
        "than that.",
    ]
    return "\n".join(lines) + "\n"


def bench_once(tree: Path, dsn: str, bench_args: Sequence[str], out: Path) -> dict[str, object]:
    """One run of `tree`'s own SQL benchmark against `dsn`; its JSON report."""
    env = tree_env(tree, dsn)
    command = [sys.executable, str(tree / "bench" / "run_sql_bench.py"), *bench_args]
    subprocess.run([*command, "--results-dir", str(out)], env=env, check=True)
    report: dict[str, object] = json.loads((out / "sql-bench.json").read_text())
    return report


def bench_dsn(dsn: str) -> str:
    """The cluster DSN on run_sql_bench's database."""
    return with_dbname(dsn, BENCH_DATABASE)


def parse_options(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--base", default="HEAD~1", help="the earlier revision")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each revision")
    parser.add_argument("--duration", type=int, default=10, help="seconds per pgbench run")
    parser.add_argument("--clients", default="16", help="client counts")
    parser.add_argument("--scenarios", default=POSTING_SCENARIOS, help="pgbench scripts")
    parser.add_argument("--journals", type=int, default=200_000, help="seed journals")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="report folder")
    parser.add_argument(
        "--sequence-events",
        action="store_true",
        help="run the event sequencer beside head's rounds and report its lag",
    )
    args = parser.parse_args(argv)
    if min(args.rounds, args.duration, args.journals) < 1:
        parser.error("--rounds, --duration and --journals must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_options(sys.argv[1:] if argv is None else argv)
    base_rev, head_rev = git("rev-parse", "--short", opts.base), git("rev-parse", "--short", "HEAD")
    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--", ".") else ""
    bench_args = [
        "--via=direct",
        f"--duration={opts.duration}",
        f"--clients={opts.clients}",
        f"--scenarios={opts.scenarios}",
        f"--journals={opts.journals}",
    ]
    dsn = cluster_dsn()
    samples: dict[str, Samples] = {"base": {}, "head": {}}
    lag_rounds: list[str] = []
    schedule = order_of_rounds(opts.rounds)
    with checked_out(opts.base) as base_tree, tempfile.TemporaryDirectory() as scratch:
        trees = {"base": base_tree, "head": ROOT}
        for step, (n, rev) in enumerate(schedule, start=1):
            name = base_rev if rev == "base" else head_rev
            print(f"[{step}/{len(schedule)}] round {n + 1}: {rev} ({name})", flush=True)
            out = Path(scratch) / f"{rev}-{n}"
            sequencing = opts.sequence_events and rev == "head"
            if sequencing:
                sequencer = Sequencer(bench_dsn(dsn))
                sequencer.start()
            add_round(samples[rev], bench_once(trees[rev], dsn, bench_args, out))
            if sequencing:
                sequencer.halt.set()
                sequencer.join()
                lag_rounds.append(sequencer.summary())
                print(f"  event sequencer: {lag_rounds[-1]}", flush=True)
    rows = compare(samples["base"], samples["head"])
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "base": base_rev,
        "head": head_rev + dirty,
        "runs": f"{opts.rounds} rounds each, alternating; run_sql_bench {' '.join(bench_args)}",
    }
    if lag_rounds:
        meta["event sequencer beside head"] = " | ".join(lag_rounds)
    markdown = render_markdown(rows, meta)
    print(markdown)
    opts.results_dir.mkdir(parents=True, exist_ok=True)
    (opts.results_dir / "sql-compare.md").write_text(markdown)
    document = {"meta": meta, "rows": [asdict(r) for r in rows]}
    (opts.results_dir / "sql-compare.json").write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
