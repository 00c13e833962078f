"""What events cost a hot posting: the same database with events on and off, one run.

    .venv/bin/python bench/events_overhead.py              # make bench-events
    .venv/bin/python bench/events_overhead.py --rounds 4 --duration 10

Steps: the SQL benchmark's database (run_sql_bench.prepare: the local cluster or
DOUBLEX_DSN, `doublex_bench` recreated, migrated, seeded with --journals), the seed's own
events sequenced. Then rounds alternate (on, off, off, on, …, so drift of a shared machine
hits both), each a pgbench run of the `hot` scenario at --clients, as run_sql_bench runs
it (roll-up first):

- **on**: as a served ledger runs: every event trigger enabled, and the sequencer turning
  beside the load at the service's cadence (bench/event_sequencer.py), so its CPU is in
  the measurement too;
- **off**: every event trigger (`*_event`) and balance-monitor trigger (`*_monitor_watch`)
  disabled, no sequencer: the ledger without the event log.

The INSERT ceiling is measured once before the rounds, for scale. The report gives each
round, the means, the on/off ratio (bar: ≥ 90%, #18) and the sequencer's lag under the
load. Report: bench/results/events-overhead.md and .json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import run_sql_bench as sql
from event_sequencer import Sequencer

RESULTS_DIR = Path(__file__).resolve().parent / "results"
BAR_PCT = 90.0
# The triggers that exist only for events: the event log's and the balance monitors'.
EVENT_TRIGGERS_SQL = """
    SELECT format('%I.%I', n.nspname, c.relname), t.tgname
      FROM pg_trigger AS t
      JOIN pg_class AS c ON c.oid = t.tgrelid
      JOIN pg_namespace AS n ON n.oid = c.relnamespace
     WHERE n.nspname = 'ledger_private' AND NOT t.tgisinternal
       AND (t.tgname LIKE '%\\_event' OR t.tgname LIKE '%\\_monitor\\_watch')
     ORDER BY 1, 2
"""


@dataclass(frozen=True)
class Round:
    mode: str  # on | off
    tps: float
    p95_ms: float | None
    retries: int
    failed: int


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Hot posting with events on against off, alternating, one run",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs of each mode")
    parser.add_argument("--duration", type=int, default=10, help="seconds per pgbench run")
    parser.add_argument("--clients", type=int, default=16, help="pgbench clients")
    parser.add_argument("--journals", type=int, default=20000, help="seed journals")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="report folder")
    args = parser.parse_args(argv)
    if min(args.rounds, args.duration, args.clients, args.journals) < 1:
        parser.error("--rounds, --duration, --clients and --journals must be positive")
    return args


def sql_options(args: argparse.Namespace) -> sql.Options:
    return sql.parse_options(
        [
            f"--duration={args.duration}",
            f"--clients={args.clients}",
            "--scenarios=hot",
            f"--journals={args.journals}",
            "--via=direct",
        ]
    )


def event_triggers(dsns: sql.Dsns) -> list[tuple[str, str]]:
    with sql.connect(dsns.admin) as conn:
        return [(table, name) for table, name in conn.execute(EVENT_TRIGGERS_SQL).fetchall()]


def switch_events(dsns: sql.Dsns, triggers: list[tuple[str, str]], on: bool) -> None:
    verb = "ENABLE" if on else "DISABLE"
    with sql.connect(dsns.admin) as conn:
        for table, name in triggers:
            conn.execute(f'ALTER TABLE {table} {verb} TRIGGER "{name}"')


def drain_events(dsns: sql.Dsns) -> int:
    """Sequence the seed's events, so that no round pays for them."""
    moved = 0
    with sql.connect(dsns.admin, autocommit=True) as conn:
        while True:
            row = conn.execute("SELECT batch_id, events FROM ledger.sequence_events()").fetchone()
            if row is None or row[0] is None:
                return moved
            moved += int(row[1])


def one_round(
    binary: str, dsns: sql.Dsns, opts: sql.Options, triggers: list[tuple[str, str]], on: bool
) -> tuple[Round, Sequencer | None]:
    switch_events(dsns, triggers, on)
    sequencer = Sequencer(dsns.admin) if on else None
    if sequencer is not None:
        sequencer.start()
    try:
        result = sql.run_scenario(
            binary, dsns, sql.direct_route(dsns), sql.SCENARIO_BY_NAME["hot"], opts.clients[0], opts
        )
    finally:
        if sequencer is not None:
            sequencer.halt.set()
            sequencer.join()
    if result.aborted or result.posted_check:
        raise SystemExit(f"the {'on' if on else 'off'} round failed: {sql.describe_run(result)}")
    mode = "on" if on else "off"
    return Round(mode, result.tps, result.p95_ms, result.retries, result.failed), sequencer


def render(meta: dict[str, str], rounds: list[Round], ceiling: float) -> str:
    on = [r.tps for r in rounds if r.mode == "on"]
    off = [r.tps for r in rounds if r.mode == "off"]
    ratio = 100.0 * statistics.fmean(on) / statistics.fmean(off)
    verdict = "PASS" if ratio >= BAR_PCT else "MISSED"
    lines = ["# Events on against off: hot posting", ""]
    lines += [f"- {key}: {value}" for key, value in meta.items()]
    lines += ["", "| round | mode | TPS | p95 ms | retries | failed |", "|--:|---|--:|--:|--:|--:|"]
    for number, r in enumerate(rounds, 1):
        p95 = "-" if r.p95_ms is None else f"{r.p95_ms:.2f}"
        lines.append(f"| {number} | {r.mode} | {r.tps:,.0f} | {p95} | {r.retries} | {r.failed} |")
    lines += [
        "",
        f"- events on, mean: **{statistics.fmean(on):,.0f}** TPS "
        f"({100.0 * statistics.fmean(on) / ceiling:.1f}% of the INSERT ceiling {ceiling:,.0f})",
        f"- events off, mean: **{statistics.fmean(off):,.0f}** TPS",
        f"- on / off: **{ratio:.1f}%** — bar ≥ {BAR_PCT:.0f}%: **{verdict}**",
        f"- spread between rounds of one mode: on ±{spread(on):.1f}%, off ±{spread(off):.1f}%",
        "",
    ]
    return "\n".join(lines)


def spread(values: list[float]) -> float:
    mean = statistics.fmean(values)
    return 100.0 * (max(values) - min(values)) / 2 / mean if mean else 0.0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    opts = sql_options(args)
    prepared = sql.prepare(opts)
    dsns = prepared.dsns
    binary = sql.pgbench_binary()
    triggers = event_triggers(dsns)
    sql.say(f"sequenced the seed's {drain_events(dsns):,} events; {len(triggers)} event triggers")
    ceiling = sql.run_scenario(
        binary, dsns, sql.direct_route(dsns), sql.SCENARIO_BY_NAME["insert1"], args.clients, opts
    ).tps
    order = [True, False, False, True] * ((args.rounds + 1) // 2)
    rounds: list[Round] = []
    lags: list[str] = []
    for on in order[: 2 * args.rounds]:
        measured, sequencer = one_round(binary, dsns, opts, triggers, on)
        rounds.append(measured)
        if sequencer is not None:
            lags.append(sequencer.summary())
    switch_events(dsns, triggers, True)
    sql.fail_loudly(sql.final_invariants(dsns), "after the runs")
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "command": "make bench-events (bench/events_overhead.py)",
        "run": (
            f"hot@{args.clients}, {args.duration} s per round, {args.rounds} rounds per mode, "
            f"alternating; seed {args.journals:,} journals; pgbench as run_sql_bench runs it"
        ),
        "event triggers switched": ", ".join(name for _, name in triggers),
        "sequencer in the on rounds": " | ".join(lags),
        "load average at end (1/5/15 min)": sql.load_average(),
    }
    text = render(meta, rounds, ceiling)
    sql.say(text)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / "events-overhead.md").write_text(text)
    payload = {"meta": meta, "ceiling_tps": ceiling, "rounds": [r.__dict__ for r in rounds]}
    (args.results_dir / "events-overhead.json").write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
