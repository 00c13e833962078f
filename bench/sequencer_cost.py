"""What one event costs the sequencer and a reader: payloads stored at sequencing (a base
revision's ledger.sequence_events and ledger.list_events) against payloads built when read
(this checkout's), in one database, alternating.

    .venv/bin/python bench/sequencer_cost.py                       # base: main
    .venv/bin/python bench/sequencer_cost.py --base 875ae74 --rounds 6 --events 3000

The SQL benchmark's database (run_sql_bench: the local cluster or DOUBLEX_DSN,
`doublex_bench` recreated, migrated with this checkout, its accounts seeded). Rounds
alternate the two versions of the two functions (stored, built, built, stored, …), each
installed with CREATE OR REPLACE. A round posts --events hot postings (the `hot` scenario's
journal, one transaction each) in batches of --batch, and after each batch runs the
sequencer alone until it has nothing new, measuring around it: the WAL it inserted
(pg_current_wal_insert_lsn), its backend's CPU (/proc/<pid>/stat, so the server must be
local) and its time. Then the round's events are read back a page of 100 at a time
(ledger.list_events, after an ANALYZE of the tables it reads): CPU and time per page. The
log's bytes per event (pg_column_size of the row) come from the round's own rows. Report
on stdout and in bench/results/sequencer-cost.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import psycopg
import run_sql_bench as sql
from revisions import ROOT, show

RESULTS = ROOT / "bench" / "results" / "sequencer-cost.json"
FUNCTIONS = ("procedures/sequence_events.sql", "procedures/list_events.sql")


@dataclass
class Round:
    mode: str  # stored | built
    events: int
    wal_bytes_per_event: float
    sequencer_cpu_us_per_event: float
    sequencer_us_per_event: float
    row_bytes_per_event: float
    read_cpu_ms_per_page: float
    read_ms_per_page: float


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Sequencer and reader cost per event: payloads stored against built when read",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--base", default="main", help="revision whose functions store payloads")
    parser.add_argument("--rounds", type=int, default=4, help="rounds of each mode")
    parser.add_argument("--events", type=int, default=2000, help="postings per round")
    parser.add_argument("--batch", type=int, default=100, help="postings per sequencer turn")
    args = parser.parse_args(argv)
    if min(args.rounds, args.events, args.batch) < 1:
        parser.error("--rounds, --events and --batch must be positive")
    return args


def sources(base: str) -> dict[str, list[str]]:
    """Each mode's function definitions: the base revision's files, this checkout's."""
    stored = [show(base, path) for path in FUNCTIONS]
    built = [(ROOT / path).read_text() for path in FUNCTIONS]
    return {"stored": stored, "built": built}


def scalar(conn: psycopg.Connection[Any], query: str) -> Any:
    row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]


def one_round(
    mode: str, definitions: list[str], dsns: sql.Dsns, args: argparse.Namespace, n: int
) -> Round:
    with psycopg.connect(dsns.admin, autocommit=True) as admin:
        for text in definitions:
            admin.execute(text)  # type: ignore[arg-type]
    wal = cpu = wall = 0.0
    with (
        psycopg.connect(dsns.app, autocommit=True) as poster,
        psycopg.connect(dsns.admin, autocommit=True) as sequencer,
    ):
        pid = int(scalar(sequencer, "SELECT pg_backend_pid()"))
        start = int(
            scalar(sequencer, "SELECT coalesce(max(position), 0) FROM ledger_private.event")
        )
        for lo in range(0, args.events, args.batch):
            for i in range(lo, min(args.events, lo + args.batch)):
                poster.execute(
                    sql.HOT_POSTING, {"a": 1 + (i * 7 + n) % 1000, "amount": f"{1 + i % 997}.25"}
                )  # type: ignore[arg-type]
            lsn = scalar(sequencer, "SELECT pg_current_wal_insert_lsn()")
            cpu0, wall0 = sql.backend_cpu_seconds(pid), time.perf_counter()
            while scalar(sequencer, "SELECT batch_id FROM ledger.sequence_events()") is not None:
                pass
            wall += time.perf_counter() - wall0
            cpu += sql.backend_cpu_seconds(pid) - cpu0
            wal += float(scalar(sequencer, f"SELECT pg_current_wal_insert_lsn() - '{lsn}'::pg_lsn"))
        events, row_bytes = sequencer.execute(
            "SELECT count(*), avg(pg_column_size(e.*)) FROM ledger_private.event AS e"
            f" WHERE e.position > {start}"
        ).fetchone() or (0, 0)
        # (current statistics, as autovacuum keeps them on a ledger: the readers' plans)
        sequencer.execute(
            "ANALYZE ledger_private.journal, ledger_private.leg, ledger_private.event"
        )
        reader_pid = pid
        pages = 0
        cpu0, wall0 = sql.backend_cpu_seconds(reader_pid), time.perf_counter()
        after = start
        while True:
            last = scalar(
                sequencer,
                f"SELECT max(position) FROM ledger.list_events(after => {after}, page_size => 100)",
            )
            if last is None:
                break
            pages, after = pages + 1, int(last)
        read_cpu, read_wall = (
            sql.backend_cpu_seconds(reader_pid) - cpu0,
            time.perf_counter() - wall0,
        )
    return Round(
        mode=mode,
        events=int(events),
        wal_bytes_per_event=wal / events,
        sequencer_cpu_us_per_event=cpu / events * 1e6,
        sequencer_us_per_event=wall / events * 1e6,
        row_bytes_per_event=float(row_bytes),
        read_cpu_ms_per_page=read_cpu / pages * 1e3,
        read_ms_per_page=read_wall / pages * 1e3,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    definitions = sources(args.base)
    prepared = sql.bench_dsns()
    sql.recreate_database(prepared)
    sql.migrate(prepared)
    sql.seed_accounts(prepared)
    order = [("stored", "built"), ("built", "stored")]
    rounds: list[Round] = []
    for n in range(args.rounds):
        for mode in order[n % 2]:
            done = one_round(mode, definitions[mode], prepared, args, n)
            rounds.append(done)
            shown = ", ".join(
                f"{k} {v:.1f}" for k, v in asdict(done).items() if isinstance(v, float)
            )
            print(f"round {n + 1} {mode:6}: {shown}", flush=True)
    # The database is left with this checkout's functions.
    with psycopg.connect(prepared.admin, autocommit=True) as admin:
        for text in definitions["built"]:
            admin.execute(text)  # type: ignore[arg-type]
    fields = [k for k, v in asdict(rounds[0]).items() if isinstance(v, float)]
    means = {
        mode: {f: statistics.mean(getattr(r, f) for r in rounds if r.mode == mode) for f in fields}
        for mode in ("stored", "built")
    }
    print("\nmean per mode (built / stored):")
    for f in fields:
        s, b = means["stored"][f], means["built"][f]
        print(f"  {f:28} stored {s:9.1f}  built {b:9.1f}  ({b / s:.0%})")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps({"args": vars(args), "rounds": [asdict(r) for r in rounds], "means": means})
        + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
