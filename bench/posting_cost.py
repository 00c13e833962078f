"""What one posting writes and runs: deterministic per-posting counts, not throughput.

    .venv/bin/python bench/posting_cost.py                    # make bench-posting-cost
    .venv/bin/python bench/posting_cost.py --scenario uniform --postings 20000
    .venv/bin/python bench/posting_cost.py --scenario hold --report-name hold-cost-counts

Throughput on a shared machine moves by tens of percent between two runs of the same code;
what a posting writes and calls does not. So this reports, per posting of one pgbench
scenario (`hot` by default; for `hold` one "posting" is a hold and its capture: two
transactions, one journal) run by one client as doublex_app:

- WAL: records, full-page images and bytes (pg_stat_wal), and, when the cluster's pg_wal is
  readable here, the same split by relation (pg_waldump over the run's LSN range): which
  table or index writes what;
- rows inserted and deleted per table, and shared buffers touched (hit + read);
- every ledger function's calls, self and total time (track_functions = all on the bench
  database only);
- with pg_stat_statements loaded, the statements by total time.

`--floor` adds throughput, for scale: rounds alternating (hot, floor, insert1) at --clients,
where **floor** writes exactly the rows a hot posting writes (sentinel, journal, two legs,
every index) in one SERIALIZABLE transaction as the superuser with triggers off
(session_replication_role = replica) and none of the ledger's functions: what the write
set alone allows on this machine, against the one-row INSERT ceiling of run_sql_bench.

Two windows: **warm** (the counts of a posting once the pages it writes carry a full-page
image since the last checkpoint) and **cold** (the first --postings after a CHECKPOINT: what
a checkpoint adds, as a posting's first touch of each index leaf writes the whole page).
The database is the SQL benchmark's (run_sql_bench.prepare: the local cluster or
DOUBLEX_DSN, `doublex_bench` recreated, migrated, seeded with --journals); with
DOUBLEX_HOME pointing at another checkout, that checkout's migrations and procedures are
the ones measured, so two revisions compare on one machine. Report:
bench/results/posting-cost.md and .json.

`--base REV` (make bench-cost BASE=REV) measures this checkout against REV in one run: REV's
bench database is built by REV's own checkout (bench/revisions.py) beside this one's in
one cluster; one window of each gives the counts (nested statements included), then
--windows timed windows of each alternate (pgbench -c 1 latency, the entry function's
total, the backend's CPU), and for hot --blocks blocks of --block postings alternate
between one open connection per revision. Report: bench/results/posting-vs-base.md, .json.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import psycopg.sql
import revisions
import run_sql_bench as sql
from psycopg.conninfo import conninfo_to_dict

RESULTS_DIR = Path(__file__).resolve().parent / "results"
POSTING_SCENARIOS = ("hot", "uniform", "pair", "hold")
STAT_DELAY_S = 0.7  # statistics reach the shared counters within PGSTAT_MIN_INTERVAL (1 s)
WALDUMP_LINE = re.compile(r"rmgr: (\S+)\s+len \(rec/tot\):\s+\d+/\s*(\d+),")
WALDUMP_REL = re.compile(r"rel \d+/\d+/(\d+)")


@dataclass
class Window:
    name: str  # warm | cold
    postings: int
    wal_records: float
    wal_fpi: float
    wal_bytes: float
    buffers: float
    inserts: dict[str, float]
    wal_by_relation: list[dict[str, Any]] = field(default_factory=list)
    functions: list[dict[str, Any]] = field(default_factory=list)
    statements: list[dict[str, Any]] = field(default_factory=list)
    deletes: dict[str, float] = field(default_factory=dict)
    latency_ms: float = 0.0  # pgbench's latency average (one client)
    statement_calls: float = 0.0  # every statement pg_stat_statements counted, per posting
    backend_cpu_us: float = 0.0  # --base, hot: the server backend's CPU per posting


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="WAL, buffers and function calls per posting (deterministic counts)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--scenario", choices=POSTING_SCENARIOS, default="hot")
    parser.add_argument("--postings", type=int, default=5000, help="postings per window")
    parser.add_argument("--journals", type=int, default=200_000, help="seed journals")
    parser.add_argument("--floor", action="store_true", help="also hot/floor/insert1 rounds")
    parser.add_argument("--rounds", type=int, default=2, help="--floor rounds")
    parser.add_argument("--duration", type=int, default=6, help="--floor seconds per run")
    parser.add_argument("--clients", type=int, default=16, help="--floor clients")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--report-name", help="report file name (default: posting-cost, posting-vs-base)"
    )
    parser.add_argument(
        "--base", help="an earlier revision measured beside this checkout (e.g. 2d575b4^1)"
    )
    parser.add_argument(
        "--windows", type=int, default=4, help="--base: timed windows of each revision"
    )
    parser.add_argument("--blocks", type=int, default=10, help="--base, hot: blocks of each")
    parser.add_argument("--block", type=int, default=1000, help="--base, hot: postings a block")
    args = parser.parse_args(argv)
    if min(args.postings, args.journals, args.windows, args.blocks, args.block) < 1:
        parser.error("--postings, --journals, --windows, --blocks and --block must be positive")
    if args.report_name is None:
        args.report_name = "posting-vs-base" if args.base else "posting-cost"
    return args


def scalar(conn: psycopg.Connection[Any], query: str) -> Any:
    row = conn.execute(query).fetchone()
    return None if row is None else row[0]


def pgbench(dsns: sql.Dsns, scenario: str, postings: int) -> float:
    """One client runs `postings` of the scenario on the database of `dsns`; its latency
    average in ms."""
    route = sql.direct_route(dsns)
    command = [
        sql.pgbench_binary(),
        *("-h", route.host, "-p", route.port, "-U", route.user),
        *("-n", "-M", "prepared", "-c", "1", "-t", str(postings)),
        *("-f", str(sql.SCENARIO_BY_NAME[scenario].script)),
        str(conninfo_to_dict(dsns.app)["dbname"]),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    latency = re.search(r"latency average = ([0-9.]+) ms", done.stdout)
    if done.returncode != 0 or latency is None:
        raise SystemExit(f"pgbench failed:\n{done.stdout}{done.stderr}")
    return float(latency.group(1))


def has_statements(conn: psycopg.Connection[Any]) -> bool:
    return bool(
        scalar(conn, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'")
    )


def instrument(dsns: sql.Dsns, statements: str) -> None:
    """Function statistics on the bench database; pg_stat_statements there when the server
    preloads it, tracking `statements` (all: nested statements too; top: each posting's)."""
    with sql.connect(dsns.admin, autocommit=True) as conn:
        name = psycopg.sql.Identifier(str(conninfo_to_dict(dsns.admin)["dbname"]))
        conn.execute(psycopg.sql.SQL("ALTER DATABASE {} SET track_functions = 'all'").format(name))
        if "pg_stat_statements" in str(scalar(conn, "SHOW shared_preload_libraries")):
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            conn.execute(
                psycopg.sql.SQL("ALTER DATABASE {} SET pg_stat_statements.track = {}").format(
                    name, psycopg.sql.Literal(statements)
                )
            )


def reset(conn: psycopg.Connection[Any]) -> None:
    conn.execute("SELECT pg_stat_reset()")
    conn.execute("SELECT pg_stat_reset_shared('wal')")
    if has_statements(conn):
        conn.execute("SELECT pg_stat_statements_reset()")


def buffers(conn: psycopg.Connection[Any]) -> int:
    return int(
        scalar(
            conn,
            "SELECT blks_hit + blks_read FROM pg_stat_database WHERE datname = current_database()",
        )
    )


def measure(dsns: sql.Dsns, name: str, scenario: str, postings: int) -> Window:
    with sql.connect(dsns.admin, autocommit=True) as conn:
        reset(conn)
        time.sleep(STAT_DELAY_S)
        start_lsn = str(scalar(conn, "SELECT pg_current_wal_insert_lsn()"))
        start_buffers = buffers(conn)
        latency = pgbench(dsns, scenario, postings)
        time.sleep(STAT_DELAY_S)
        end_lsn = str(scalar(conn, "SELECT pg_current_wal_insert_lsn()"))
        row = conn.execute("SELECT wal_records, wal_fpi, wal_bytes FROM pg_stat_wal").fetchone()
        assert row is not None
        window = Window(
            name=name,
            postings=postings,
            latency_ms=latency,
            wal_records=int(row[0]) / postings,
            wal_fpi=int(row[1]) / postings,
            wal_bytes=int(row[2]) / postings,
            buffers=(buffers(conn) - start_buffers) / postings,
            inserts={
                str(r[0]): int(r[1]) / postings
                for r in conn.execute(
                    "SELECT relname, n_tup_ins FROM pg_stat_user_tables"
                    " WHERE n_tup_ins > 0 ORDER BY relname"
                )
            },
            deletes={
                str(r[0]): int(r[1]) / postings
                for r in conn.execute(
                    "SELECT relname, n_tup_del FROM pg_stat_user_tables"
                    " WHERE n_tup_del > 0 ORDER BY relname"
                )
            },
        )
        window.functions = [
            {
                "function": str(r[0]),
                "calls": r[1] / postings,
                "self_us": 1000.0 * r[2] / postings,
                "total_us": 1000.0 * r[3] / postings,
            }
            for r in conn.execute(
                "SELECT schemaname || '.' || funcname, calls, self_time, total_time"
                "  FROM pg_stat_user_functions WHERE calls > 0 ORDER BY self_time DESC"
            )
        ]
        if has_statements(conn):
            window.statements = [
                {
                    "statement": str(r[0]),
                    "calls": r[1] / postings,
                    "total_us": 1000.0 * r[2] / postings,
                }
                for r in conn.execute(
                    "SELECT regexp_replace(left(query, 100), '\\s+', ' ', 'g'), calls,"
                    "       total_exec_time FROM pg_stat_statements"
                    " WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    " ORDER BY total_exec_time DESC"
                )
            ]
            window.statement_calls = sum(s["calls"] for s in window.statements)
        window.wal_by_relation = wal_by_relation(conn, start_lsn, end_lsn, postings)
    return window


def wal_by_relation(
    conn: psycopg.Connection[Any], start: str, end: str, postings: int
) -> list[dict[str, Any]]:
    """pg_waldump over [start, end) by relation; empty when pg_wal is not readable here."""
    wal_dir = Path(str(scalar(conn, "SELECT current_setting('data_directory')"))) / "pg_wal"
    waldump = Path(sql.pgbench_binary()).parent / "pg_waldump"
    if not wal_dir.is_dir() or not waldump.exists():
        return []
    names = {
        str(r[0]): str(r[1])
        for r in conn.execute(
            "SELECT pg_relation_filenode(c.oid), c.relname FROM pg_class AS c"
            " WHERE pg_relation_filenode(c.oid) IS NOT NULL"
        )
    }
    done = subprocess.run(
        [str(waldump), "-p", str(wal_dir), "-s", start, "-e", end],
        capture_output=True,
        text=True,
        check=False,
    )
    return wal_totals(done.stdout.splitlines(), names, postings)


def wal_totals(
    lines: Iterable[str], names: Mapping[str, str], postings: int
) -> list[dict[str, Any]]:
    """pg_waldump's lines summed up by relation (its name, by filenode), per posting.

    A record counts for the relation of its first block; every block it images (FPW) counts
    as a full-page image. Records without a block (commits) count as (their rmgr).
    """
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for line in lines:
        match = WALDUMP_LINE.search(line)
        if match is None:
            continue
        rel = WALDUMP_REL.search(line)
        name = names.get(rel.group(1), rel.group(1)) if rel else f"({match.group(1)})"
        counts = totals[name]
        counts[0] += 1
        counts[1] += int(match.group(2))
        counts[2] += line.count(" FPW")
    return [
        {
            "relation": name,
            "records": c[0] / postings,
            "bytes": c[1] / postings,
            "fpi": c[2] / postings,
        }
        for name, c in sorted(totals.items(), key=lambda item: -item[1][1])
    ]


# The rows of one hot posting, written directly: no ledger function, no trigger.
FLOOR_SCRIPT = """\\set a random({first}, {last})
\\set cents random(1, 100000)
BEGIN ISOLATION LEVEL SERIALIZABLE;
SET LOCAL session_replication_role = replica;
WITH s AS (INSERT INTO ledger_private.idempotency_sentinel
                  (tenant, idempotency_key, operation, fingerprint, journal_id)
           VALUES ('default', gen_random_uuid()::text, 'post_journal',
                   sha256(random()::text::bytea), ledger_private.uuid_v7())
           RETURNING journal_id, idempotency_key),
     j AS (INSERT INTO ledger_private.journal
                  (journal_id, tenant, idempotency_key, kind, effective_date, created_by)
           SELECT s.journal_id, 'default', s.idempotency_key, 'transfer', current_date,
                  'login:doublex_app' FROM s
           RETURNING journal_id)
INSERT INTO ledger_private.leg
       (journal_id, leg_no, tenant, account_id, side, amount, ccy, effective_date)
SELECT j.journal_id, v.n, 'default', v.account_id, v.side, round(:cents / 100.0, 2), 'EUR',
       current_date
  FROM j, (VALUES (1, :a, 'debit'), (2, {hot}, 'credit')) AS v(n, account_id, side);
COMMIT;
"""


@dataclass
class FloorRound:
    round: int
    hot_tps: float
    floor_tps: float
    insert1_tps: float


def floor_script(dsns: sql.Dsns) -> str:
    with sql.connect(dsns.admin) as conn:
        row = conn.execute(
            "SELECT min(account_id) FILTER (WHERE code LIKE 'A%%'),"
            "       max(account_id) FILTER (WHERE code LIKE 'A%%'),"
            "       min(account_id) FILTER (WHERE code = %s)"
            "  FROM ledger_private.account",
            (sql.HOT_ACCOUNT,),
        ).fetchone()
    assert row is not None
    return FLOOR_SCRIPT.format(first=row[0], last=row[1], hot=row[2])


def tps(dsn: str, script: Path, protocol: str, clients: int, seconds: int) -> float:
    params = conninfo_to_dict(dsn)
    command = [
        sql.pgbench_binary(),
        *("-h", str(params.get("host", "127.0.0.1")), "-p", str(params.get("port", "5432"))),
        *("-U", str(params["user"]), "-n", "-M", protocol, "-c", str(clients)),
        *("-j", str(min(2, clients)), "-T", str(seconds), "-f", str(script), sql.DATABASE),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    match = re.search(r"tps = ([0-9.]+) \(without", done.stdout)
    if done.returncode != 0 or match is None:
        raise SystemExit(f"pgbench failed:\n{done.stdout}{done.stderr}")
    return float(match.group(1))


def floor_rounds(dsns: sql.Dsns, args: argparse.Namespace, workdir: Path) -> list[FloorRound]:
    floor = workdir / "floor.sql"
    floor.write_text(floor_script(dsns))
    hot, insert1 = sql.SCENARIO_BY_NAME["hot"].script, sql.SCENARIO_BY_NAME["insert1"].script
    rounds = []
    for number in range(1, args.rounds + 1):
        n, d = args.clients, args.duration
        rounds.append(
            FloorRound(
                round=number,
                hot_tps=tps(dsns.app, hot, "prepared", n, d),
                # Simple protocol: a multi-statement transaction with SET LOCAL.
                floor_tps=tps(dsns.admin, floor, "simple", n, d),
                insert1_tps=tps(dsns.app, insert1, "prepared", n, d),
            )
        )
    return rounds


def run(args: argparse.Namespace) -> tuple[list[Window], list[FloorRound]]:
    opts = sql.parse_options(["--journals", str(args.journals), "--scenarios", args.scenario])
    prepared = sql.prepare(opts)
    dsns = prepared.dsns
    instrument(dsns, "all")
    sql.roll_up(dsns)
    pgbench(dsns, args.scenario, max(1000, args.postings // 5))  # plans cached, pages in memory
    with sql.connect(dsns.admin, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    cold = measure(dsns, "cold", args.scenario, args.postings)
    warm = measure(dsns, "warm", args.scenario, args.postings)
    floors: list[FloorRound] = []
    if args.floor:
        with tempfile.TemporaryDirectory(prefix="doublex-floor-") as tmp:
            floors = floor_rounds(dsns, args, Path(tmp))
    return [warm, cold], floors


def render(windows: Sequence[Window], floors: Sequence[FloorRound], scenario: str) -> str:
    lines = [
        f"# Cost per posting: `{scenario}`, one client ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        "Counts per posting (bench/posting_cost.py). warm: pages already imaged since the last",
        "checkpoint; cold: the first postings after a CHECKPOINT.",
        "",
        "| window | postings | WAL records | FPI | WAL bytes | buffers |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {w.name} | {w.postings} | {w.wal_records:.2f} | {w.wal_fpi:.3f} | {w.wal_bytes:.0f}"
        f" | {w.buffers:.1f} |"
        for w in windows
    ]
    for w in windows:
        lines += [
            "",
            f"## WAL by relation, {w.name}",
            "",
            "| relation | records | FPI | bytes |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {r['relation']} | {r['records']:.2f} | {r['fpi']:.3f} | {r['bytes']:.0f} |"
            for r in w.wal_by_relation
        ] or ["| (pg_wal not readable here) | | | |"]
    warm = windows[0]
    lines += ["", "## Rows inserted (warm)", "", "| table | rows |", "|---|---:|"]
    lines += [f"| {table} | {rows:.2f} |" for table, rows in warm.inserts.items()]
    if warm.deletes:
        lines += ["", "## Rows deleted (warm)", "", "| table | rows |", "|---|---:|"]
        lines += [f"| {table} | {rows:.2f} |" for table, rows in warm.deletes.items()]
    lines += [
        "",
        "## Functions (warm)",
        "",
        "| function | calls | self µs | total µs |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {f['function']} | {f['calls']:.2f} | {f['self_us']:.1f} | {f['total_us']:.1f} |"
        for f in warm.functions
    ]
    if warm.statements:
        lines += [
            "",
            "## Statements (warm, pg_stat_statements)",
            "",
            "| statement | calls | µs |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| `{s['statement']}` | {s['calls']:.2f} | {s['total_us']:.1f} |"
            for s in warm.statements[:15]
        ]
    if floors:
        lines += [
            "",
            "## Throughput for scale (--floor)",
            "",
            "| round | hot tps | floor tps | INSERT tps | hot/floor | floor/INSERT | hot/INSERT |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {f.round} | {f.hot_tps:,.0f} | {f.floor_tps:,.0f} | {f.insert1_tps:,.0f}"
            f" | {100 * f.hot_tps / f.floor_tps:.1f}% | {100 * f.floor_tps / f.insert1_tps:.1f}%"
            f" | {100 * f.hot_tps / f.insert1_tps:.1f}% |"
            for f in floors
        ]
    return "\n".join(lines) + "\n"


# -- --base: an earlier revision's database beside this checkout's, alternating windows ---

BASE_DATABASE = f"{sql.DATABASE}_base"
CALLS, BYTES = ("calls", "calls", ".2f"), ("bytes", "bytes", ".0f")  # (field, heading, format)
REVISIONS = ("base", "head")


@dataclass
class Versus:
    base: str  # the revisions, as short hashes
    head: str
    scenario: str
    postings: int
    counts: dict[str, Window]  # one window of each, nested statements tracked
    timed: list[Window]  # alternating, named "base 1", "head 1", …; top statements only
    load: dict[str, str]
    interleaved: Interleaved | None = None  # hot only


def database_dsns(dsns: sql.Dsns, dbname: str) -> sql.Dsns:
    return sql.Dsns(
        admin=revisions.with_dbname(dsns.admin, dbname),
        app=revisions.with_dbname(dsns.app, dbname),
        server_admin=dsns.server_admin,
    )


def run_against_base(args: argparse.Namespace) -> Versus:
    """Both revisions' databases in one cluster (the base built by its own checkout), each
    warmed up; a window of counts each, then --windows timed windows each, alternating."""
    load = {"start": sql.load_average()}
    base_rev = revisions.git("rev-parse", "--short", args.base)
    head_rev = revisions.git("rev-parse", "--short", "HEAD")
    if revisions.git("status", "--porcelain", "--untracked-files=no", "--", "."):
        head_rev += " (with uncommitted changes)"
    bench_args = ["--journals", str(args.journals), "--scenarios", args.scenario]
    with revisions.checked_out(args.base) as tree:
        revisions.prepare_database(tree, revisions.cluster_dsn(), BASE_DATABASE, bench_args)
    head = sql.prepare(sql.parse_options(bench_args)).dsns
    sides = {"base": database_dsns(head, BASE_DATABASE), "head": head}
    for dsns in sides.values():
        instrument(dsns, "all")
        sql.roll_up(dsns)
    with sql.connect(head.admin, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    for dsns in sides.values():
        pgbench(dsns, args.scenario, max(1000, args.postings // 5))  # plans, pages, images
    counts = {rev: measure(sides[rev], rev, args.scenario, args.postings) for rev in REVISIONS}
    for dsns in sides.values():
        instrument(dsns, "top")  # nested statements tracked would weigh on the timing
    timed = []
    for n, rev in revisions.order_of_rounds(args.windows):
        window = measure(sides[rev], f"{rev} {n + 1}", args.scenario, args.postings)
        if args.scenario == "hot":
            window.backend_cpu_us = backend_cpu_us(sides[rev], args.postings, n)
        timed.append(window)
        print(
            f"{window.name}: {window.latency_ms * 1000:.0f} µs latency,"
            f" {function_us(window, ENTRY[args.scenario]):.0f} µs in the function,"
            f" {window.backend_cpu_us:.0f} µs backend CPU",
            flush=True,
        )
    mixed = interleave(sides, args.blocks, args.block) if args.scenario == "hot" else None
    load["end"] = sql.load_average()
    return Versus(base_rev, head_rev, args.scenario, args.postings, counts, timed, load, mixed)


class Poster:
    """Hot postings from one connection as doublex_app, timed by its server backend's CPU
    (utime + stime: what the postings cost the server without the time it waited for a
    core on a shared machine) and by the clock."""

    def __init__(self, dsns: sql.Dsns, seed: int) -> None:
        self.conn = sql.connect(dsns.app, autocommit=True)
        self.pid = int(scalar(self.conn, "SELECT pg_backend_pid()"))
        self.seed, self.done = seed, 0

    def post(self, postings: int) -> tuple[float, float]:
        """Seconds of backend CPU and of the clock that `postings` hot postings took."""
        cpu, wall = sql.backend_cpu_seconds(self.pid), time.perf_counter()
        for i in range(self.done, self.done + postings):
            posting = {"a": 1 + (i * 7 + self.seed) % 1000, "amount": f"{1 + i % 997}.25"}
            self.conn.execute(sql.HOT_POSTING, posting)  # type: ignore[arg-type]
        self.done += postings
        return sql.backend_cpu_seconds(self.pid) - cpu, time.perf_counter() - wall


def backend_cpu_us(dsns: sql.Dsns, postings: int, seed: int) -> float:
    """Backend CPU per hot posting, `postings` of them after 100 that cache the plans."""
    poster = Poster(dsns, seed)
    with poster.conn:
        poster.post(100)
        return poster.post(postings)[0] / postings * 1e6


@dataclass
class Interleaved:
    block: int  # postings per block
    cpu_us: dict[str, list[float]]  # per posting, each block in order
    wall_us: dict[str, list[float]]
    entry_us: dict[str, float]  # the entry function's total per posting over every block


def entry_totals(dsns: sql.Dsns) -> tuple[int, float]:
    """ledger.post_journal's calls and total ms so far on the database of `dsns`."""
    with sql.connect(dsns.admin, autocommit=True) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(calls), 0), coalesce(sum(total_time), 0)"
            "  FROM pg_stat_user_functions"
            " WHERE schemaname = 'ledger' AND funcname = 'post_journal'"
        ).fetchone()
    assert row is not None
    return int(row[0]), float(row[1])


def interleave(sides: Mapping[str, sql.Dsns], blocks: int, block: int) -> Interleaved:
    """Hot postings from one open connection per revision, in blocks of `block` that
    alternate (base, head, head, base, …), `blocks` each: a drift of the machine lasting
    longer than a block weighs on both alike."""
    # One seed for both: each revision posts the same accounts in the same order.
    posters = {rev: Poster(dsns, 0) for rev, dsns in sides.items()}
    for poster in posters.values():
        poster.post(100)  # plans cached
        poster.conn.execute("SELECT pg_stat_force_next_flush()")
    time.sleep(STAT_DELAY_S)
    before = {rev: entry_totals(dsns) for rev, dsns in sides.items()}
    cpu: dict[str, list[float]] = {rev: [] for rev in sides}
    wall: dict[str, list[float]] = {rev: [] for rev in sides}
    for _, rev in revisions.order_of_rounds(blocks):
        spent, took = posters[rev].post(block)
        cpu[rev].append(spent / block * 1e6)
        wall[rev].append(took / block * 1e6)
    for poster in posters.values():
        poster.conn.close()  # its statistics flushed as the backend exits
    time.sleep(STAT_DELAY_S)
    entry = {}
    for rev, dsns in sides.items():
        calls, total_ms = entry_totals(dsns)
        entry[rev] = 1000.0 * (total_ms - before[rev][1]) / max(1, calls - before[rev][0])
    return Interleaved(block, cpu, wall, entry)


# The function a posting of each scenario enters (its total time is the posting's).
ENTRY = {
    "hot": "ledger.post_journal",
    "uniform": "ledger.post_journal",
    "pair": "ledger.post_journal",
    "hold": "ledger.create_hold",
}


def function_us(window: Window, name: str) -> float:
    return sum(float(f["total_us"]) for f in window.functions if f["function"] == name)


@dataclass
class Timing:
    what: str
    base: list[float]
    head: list[float]

    @property
    def ratios(self) -> list[float]:
        """head / base of each round (the two windows next to each other in time)."""
        return [h / b for b, h in zip(self.base, self.head, strict=False) if b]

    @property
    def change_pct(self) -> float:
        """The median of the rounds' head / base, as a change in percent."""
        return 100.0 * (statistics.median(self.ratios) - 1.0) if self.ratios else 0.0

    @property
    def mean_change_pct(self) -> float:
        base = statistics.fmean(self.base)
        return 100.0 * (statistics.fmean(self.head) - base) / base if base else 0.0

    @property
    def noise_pct(self) -> float:
        return max(revisions.spread_pct(self.base), revisions.spread_pct(self.head))


def timings(versus: Versus) -> list[Timing]:
    def of(rev: str, value: Callable[[Window], float]) -> list[float]:
        return [value(w) for w in versus.timed if w.name.split()[0] == rev]

    def latency(w: Window) -> float:
        return w.latency_ms * 1000.0

    def entry(w: Window) -> float:
        return function_us(w, ENTRY[versus.scenario])

    def cpu(w: Window) -> float:
        return w.backend_cpu_us

    found = [
        Timing("pgbench latency per posting, µs (-c 1)", of("base", latency), of("head", latency)),
        Timing(f"{ENTRY[versus.scenario]} total, µs", of("base", entry), of("head", entry)),
        Timing("backend CPU per posting, µs", of("base", cpu), of("head", cpu)),
    ]
    if versus.interleaved:
        mixed = versus.interleaved
        found += [
            Timing(
                f"interleaved blocks of {mixed.block}: backend CPU per posting, µs",
                mixed.cpu_us["base"],
                mixed.cpu_us["head"],
            ),
            Timing(
                f"interleaved blocks of {mixed.block}: clock per posting, µs",
                mixed.wall_us["base"],
                mixed.wall_us["head"],
            ),
        ]
    return [t for t in found if t.base and t.head and min(t.base + t.head) > 0]


def verdict(t: Timing) -> str:
    if t.change_pct <= 5.0:
        return "within 5%"
    return "above 5%, within the noise" if t.change_pct <= t.noise_pct else "slower"


def union(
    base: Sequence[dict[str, Any]], head: Sequence[dict[str, Any]], key: str
) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Rows of both lists matched by `key`, in head's order then base's."""
    by_base = {str(r[key]): r for r in base}
    by_head = {str(r[key]): r for r in head}
    names = list(by_head) + [k for k in by_base if k not in by_head]
    return [(k, by_base.get(k, {}), by_head.get(k, {})) for k in names]


def mean_functions(windows: Sequence[Window]) -> list[dict[str, Any]]:
    """Each function's calls and times per posting, averaged over windows."""
    rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for w in windows:
        for f in w.functions:
            rows[f["function"]].append(f)
    means = [
        {
            "function": name,
            **{
                k: sum(f[k] for f in found) / len(windows) for k in ("calls", "self_us", "total_us")
            },
        }
        for name, found in rows.items()
    ]
    return sorted(means, key=lambda f: -f["self_us"])


def render_versus(versus: Versus) -> str:
    base, head = versus.counts["base"], versus.counts["head"]
    lines = [
        f"# Cost per posting: `{versus.scenario}`, {versus.head} against {versus.base}",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; bench/posting_cost.py --base",
        f"- both databases in one cluster, seeded alike; base built by its own checkout;"
        f" {versus.postings} postings per window, one client (pgbench -c 1 -M prepared)",
        f"- load average (1/5/15 min): {versus.load['start']} at start,"
        f" {versus.load['end']} at end",
        "",
        "## Counts per posting (one warm window each; nested statements tracked)",
        "",
        "| per posting | base | head | head - base |",
        "|---|---:|---:|---:|",
    ]
    counted: list[tuple[str, Callable[[Window], float], str]] = [
        ("WAL records", lambda w: w.wal_records, ".2f"),
        ("WAL full-page images", lambda w: w.wal_fpi, ".3f"),
        ("WAL bytes", lambda w: w.wal_bytes, ".0f"),
        ("shared buffers touched", lambda w: w.buffers, ".1f"),
        ("rows inserted", lambda w: sum(w.inserts.values()), ".2f"),
        ("rows deleted", lambda w: sum(w.deletes.values()), ".2f"),
        ("statements executed (pg_stat_statements)", lambda w: w.statement_calls, ".1f"),
        ("function calls (pg_stat_user_functions)", lambda w: sum_calls(w), ".1f"),
    ]
    lines += [
        f"| {label} | {get(base):{spec}} | {get(head):{spec}} | {get(head) - get(base):+{spec}} |"
        for label, get, spec in counted
    ]
    lines += [
        "",
        "## Time per posting, alternating windows (nested statements not tracked)",
        "",
        "| window | latency µs | " + ENTRY[versus.scenario] + " total µs | backend CPU µs |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {w.name} | {w.latency_ms * 1000:.0f} | {function_us(w, ENTRY[versus.scenario]):.0f}"
        f" | {w.backend_cpu_us:.0f} |"
        for w in versus.timed
    ]
    lines += [
        "",
        "| measure | base mean (min..max) | head mean (min..max) | head/base per round"
        " | head against base (median of rounds; of means) | noise (largest spread) | ±5% bar |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    lines += [
        f"| {t.what} | {statistics.fmean(t.base):.0f} ({min(t.base):.0f}..{max(t.base):.0f})"
        f" | {statistics.fmean(t.head):.0f} ({min(t.head):.0f}..{max(t.head):.0f})"
        f" | {' '.join(f'{r:.3f}' for r in t.ratios)}"
        f" | {t.change_pct:+.1f}%; {t.mean_change_pct:+.1f}% | ±{t.noise_pct:.1f}%"
        f" | {verdict(t)} |"
        for t in timings(versus)
    ]
    if versus.interleaved and versus.interleaved.entry_us["base"] > 0:
        entry = versus.interleaved.entry_us  # zero: track_functions was off on the server
        lines += [
            "",
            f"Interleaved blocks, {ENTRY[versus.scenario]} total per posting over every block:"
            f" base {entry['base']:.0f} µs, head {entry['head']:.0f} µs"
            f" ({100.0 * (entry['head'] / entry['base'] - 1.0):+.1f}%).",
        ]
    timed = {rev: [w for w in versus.timed if w.name.split()[0] == rev] for rev in REVISIONS}
    functions = {rev: mean_functions(timed[rev]) for rev in REVISIONS}
    inserted = {
        rev: [{"table": t, "rows": n} for t, n in sorted(w.inserts.items())]
        for rev, w in versus.counts.items()
    }
    sections: list[tuple[str, str, list[tuple[str, str, str]], str]] = [
        (
            "WAL by relation",
            "relation",
            [("records", "records", ".2f"), ("bytes", "bytes", ".0f")],
            "wal",
        ),
        ("Rows inserted", "table", [("rows", "rows", ".2f")], "inserted"),
        (
            "Functions (means of the timed windows)",
            "function",
            [
                ("calls", "calls", ".2f"),
                ("self_us", "self µs", ".1f"),
                ("total_us", "total µs", ".1f"),
            ],
            "functions",
        ),
        (
            "Statements (the counts window; a statement whose text changed shows twice)",
            "statement",
            [CALLS, ("total_us", "µs", ".1f")],
            "statements",
        ),
    ]
    rows = {
        "wal": {rev: versus.counts[rev].wal_by_relation for rev in REVISIONS},
        "inserted": inserted,
        "functions": functions,
        "statements": {rev: versus.counts[rev].statements for rev in REVISIONS},
    }
    for title, key, fields, source in sections:
        lines += side_by_side(title, key, fields, rows[source]["base"], rows[source]["head"])
    return "\n".join(lines) + "\n"


def side_by_side(
    title: str,
    key: str,
    fields: Sequence[tuple[str, str, str]],
    base: Sequence[dict[str, Any]],
    head: Sequence[dict[str, Any]],
) -> list[str]:
    """A section of rows of both revisions matched by `key`: base and head side by side for
    each (field, heading, format); rows below 0.01 per posting in both are left out."""
    headings = " | ".join(f"base {h} | head {h}" for _, h, _ in fields)
    lines = ["", f"## {title}", "", f"| {key} | {headings} |", "|---|" + "---:|" * 2 * len(fields)]
    first = fields[0][0]
    for name, b, h in union(base, head, key):
        if max(b.get(first, 0), h.get(first, 0)) < 0.01:
            continue
        cells = " | ".join(f"{b.get(f, 0):{spec}} | {h.get(f, 0):{spec}}" for f, _, spec in fields)
        lines.append(f"| {f'`{name}`' if key == 'statement' else name} | {cells} |")
    return lines


def sum_calls(window: Window) -> float:
    return float(sum(f["calls"] for f in window.functions))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    if args.base:
        versus = run_against_base(args)
        report = render_versus(versus)
        document: dict[str, Any] = {
            **{k: v for k, v in asdict(versus).items() if k not in ("counts", "timed")},
            "counts": {rev: asdict(w) for rev, w in versus.counts.items()},
            "timed": [asdict(w) for w in versus.timed],
            "timings": [
                {
                    **asdict(t),
                    "ratios": t.ratios,
                    "change_pct": t.change_pct,
                    "mean_change_pct": t.mean_change_pct,
                    "noise_pct": t.noise_pct,
                    "verdict": verdict(t),
                }
                for t in timings(versus)
            ],
        }
    else:
        windows, floors = run(args)
        report = render(windows, floors, args.scenario)
        document = {
            "scenario": args.scenario,
            "windows": [asdict(w) for w in windows],
            "floor": [asdict(f) for f in floors],
        }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    (args.results_dir / f"{args.report_name}.md").write_text(report)
    (args.results_dir / f"{args.report_name}.json").write_text(
        json.dumps(document, indent=2) + "\n"
    )
    print(report)
    print(f"wrote {args.results_dir / args.report_name}.md and .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
