"""The SQL benchmark of DoubleX: pgbench scripts against a freshly seeded ledger.

    .venv/bin/python bench/run_sql_bench.py                      # the full suite (make bench-sql)
    .venv/bin/python bench/run_sql_bench.py --duration 3 --clients 1,16 --journals 50000
    .venv/bin/python bench/run_sql_bench.py --growth              # uniform@16 at 1.2M vs ≥ 5M
    make bench-holds   # hot and hold at 16 clients, direct: the #17 bars (sql-holds.md)

Steps: start or reuse the local cluster, drop and recreate the database `doublex_bench`,
migrate it, seed 1,000 accounts and the prior journals set-based (triggers off, the data is
balanced by construction, then every invariant is verified set-based), roll up the balance
checkpoints, VACUUM ANALYZE, CHECKPOINT; then every script in bench/pgbench/ at each client
count as doublex_app (SERIALIZABLE), with pgbench's own retries of 40001/40P01, once over
direct connections and once through a throwaway PgBouncer in transaction mode (`--via`;
pooler.py says why). One table per route goes to the terminal and to bench/results/ as
Markdown and JSON, with the bars read from it. The invariants are checked again at the
end: the exit status is 1 when they break.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pooler
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from doublex import config, localdb
from doublex.cli.common import admin_dsn

BENCH_DIR = Path(__file__).resolve().parent
SCRIPTS_DIR = BENCH_DIR / "pgbench"
RESULTS_DIR = BENCH_DIR / "results"

DATABASE = "doublex_bench"
ACCOUNTS = 1000
HOT_ACCOUNT = "REVENUE"
BIG_ACCOUNT = "BIG"
DEFAULT_JOURNALS = 1_200_000
DEFAULT_BIG_LEGS = 1_000_000
DEFAULT_GROWTH_TO = 5_000_000
SEED_CHUNK = 200_000
CEILING = "insert1"
VIA_CHOICES = ("direct", "pgbouncer", "both")


# -- scenarios ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    journals_per_tx: int  # journals one transaction posts; 0 for reads and ceilings
    ceiling: bool = False
    # Session settings: reads run as the shell runs them, SERIALIZABLE READ ONLY
    # DEFERRABLE, which takes a safe snapshot and then no predicate locks.
    settings: tuple[tuple[str, str], ...] = ()

    @property
    def script(self) -> Path:
        return SCRIPTS_DIR / f"{self.name}.sql"

    @property
    def pgoptions(self) -> str:
        """The settings as PGOPTIONS, for direct connections."""
        return " ".join(f"-c {name}={value}" for name, value in self.settings)

    @property
    def set_statements(self) -> tuple[str, ...]:
        """The settings as SET statements, for the pooler's connect_query."""
        return tuple(f"SET {name} = {value}" for name, value in self.settings)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("select1", 0, ceiling=True),
    Scenario("insert1", 0, ceiling=True),
    Scenario("uniform", 1),
    Scenario("hot", 1),
    Scenario("pair", 1),
    Scenario(
        "balance",
        0,
        settings=(
            ("default_transaction_read_only", "on"),
            ("default_transaction_deferrable", "on"),
        ),
    ),
    Scenario("batch100", 100),
    # A hold on the hot account and its capture: two transactions, one journal (#17).
    Scenario("hold", 1),
)
SCENARIO_BY_NAME = {s.name: s for s in SCENARIOS}


# -- options -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    duration: int
    clients: tuple[int, ...]
    scenarios: tuple[Scenario, ...]
    journals: int
    big_legs: int
    max_tries: int
    growth: bool
    growth_to: int
    strict: bool
    results_dir: Path
    report_name: str
    via: str
    pool_size: int


def _int_list(text: str) -> tuple[int, ...]:
    values = tuple(int(part) for part in text.split(",") if part.strip())
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers like 1,4,16; got {text!r}")
    return values


def _scenario_list(text: str) -> tuple[Scenario, ...]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in SCENARIO_BY_NAME]
    if unknown:
        known = ", ".join(SCENARIO_BY_NAME)
        raise argparse.ArgumentTypeError(f"unknown scenario(s) {unknown}; known: {known}")
    chosen = set(names) | {CEILING}  # the ceiling is always measured: every % refers to it
    return tuple(s for s in SCENARIOS if s.name in chosen)


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(
        description="DoubleX SQL benchmark (pgbench)",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--clients", type=_int_list, default="1,4,16,64", help="client counts")
    parser.add_argument(
        "--scenarios",
        type=_scenario_list,
        default=",".join(SCENARIO_BY_NAME),
        help="comma-separated subset (insert1, the ceiling, is always run)",
    )
    parser.add_argument("--journals", type=int, default=DEFAULT_JOURNALS, help="seed journals")
    parser.add_argument(
        "--big-legs",
        type=int,
        default=DEFAULT_BIG_LEGS,
        help=f"seeded journals touching {BIG_ACCOUNT} (capped at 5/6 of --journals)",
    )
    parser.add_argument("--max-tries", type=int, default=10, help="pgbench --max-tries")
    parser.add_argument(
        "--growth", action="store_true", help="uniform@16 at the seed, then after growing"
    )
    parser.add_argument(
        "--growth-to", type=int, default=DEFAULT_GROWTH_TO, help="journals after growing"
    )
    parser.add_argument(
        "--via",
        choices=VIA_CHOICES,
        default="both",
        help="connect pgbench directly, through PgBouncer (transaction pooling), or both",
    )
    parser.add_argument(
        "--pool-size",
        type=int,
        default=pooler.DEFAULT_POOL_SIZE,
        help="PgBouncer server connections per scenario (its default_pool_size)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 2 when a bar fails on the deployment route (PgBouncer when measured)",
    )
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="report folder")
    parser.add_argument(
        "--report-name",
        default="sql-bench",
        help="file name of the report (.md and .json) in --results-dir",
    )
    args = parser.parse_args(argv)
    if min(args.duration, args.journals, args.max_tries, args.pool_size) < 1:
        parser.error("--duration, --journals, --max-tries and --pool-size must be positive")
    return Options(
        duration=args.duration,
        clients=args.clients,
        scenarios=args.scenarios,
        journals=args.journals,
        big_legs=max(0, min(args.big_legs, args.journals * 5 // 6)),
        max_tries=args.max_tries,
        growth=args.growth,
        growth_to=args.growth_to,
        strict=args.strict,
        results_dir=args.results_dir,
        report_name=args.report_name,
        via=args.via,
        pool_size=args.pool_size,
    )


# -- output ------------------------------------------------------------------------------


def say(message: str) -> None:
    print(message, flush=True)


@contextmanager
def timed(label: str) -> Iterator[dict[str, float]]:
    """Print `label …` and then how long it took; the dict receives `seconds`."""
    say(f"{label} …")
    holder: dict[str, float] = {}
    started = time.monotonic()
    yield holder
    holder["seconds"] = time.monotonic() - started
    say(f"{label}: {holder['seconds']:.1f} s")


# -- connections -------------------------------------------------------------------------


@dataclass(frozen=True)
class Dsns:
    admin: str  # superuser on the bench database
    app: str  # doublex_app on the bench database
    server_admin: str  # superuser on the maintenance database (create/drop)


def bench_dsns() -> Dsns:
    """Start or reuse the cluster (DOUBLEX_DSN when set) and point at the bench database."""
    server = admin_dsn()
    admin = _with_dbname(server, DATABASE)
    return Dsns(admin=admin, app=config.as_app_role(admin), server_admin=server)


def _with_dbname(dsn: str, dbname: str) -> str:
    params = {k: v for k, v in conninfo_to_dict(dsn).items() if v is not None}
    params["dbname"] = dbname
    return make_conninfo(**params)  # type: ignore[arg-type]


def connect(dsn: str, autocommit: bool = False) -> psycopg.Connection[Any]:
    return psycopg.connect(dsn, autocommit=autocommit)


def scalar(conn: psycopg.Connection[Any], query: str, params: dict[str, Any] | None = None) -> Any:
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


# The hot scenario's posting (pgbench/hot.sql) as one parameterized statement, for the
# benchmarks that post from Python: a, the customer account 1..1000; amount, a decimal.
HOT_POSTING = """
SELECT ledger.post_journal(
    gen_random_uuid()::text,
    format('[{"account":"A%%s","side":"debit","amount":"%%s","ccy":"EUR"},'
           '{"account":"REVENUE","side":"credit","amount":"%%s","ccy":"EUR"}]',
           lpad(%(a)s::text, 4, '0'), %(amount)s::numeric(12, 2),
           %(amount)s::numeric(12, 2))::jsonb)
"""
TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu_seconds(pid: int) -> float:
    """utime + stime of a server backend (/proc: the server must be local)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


# -- database setup ----------------------------------------------------------------------


def recreate_database(dsns: Dsns) -> None:
    with connect(dsns.server_admin, autocommit=True) as conn:
        name = sql.Identifier(DATABASE)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def migrate(dsns: Dsns) -> None:
    from doublex import migrate as migrations

    migrations.apply(dsns.admin)


BENCH_SCHEMA_SQL = """
CREATE SCHEMA bench;
COMMENT ON SCHEMA bench IS 'Benchmark ceiling table: not part of the ledger';
CREATE TABLE bench.ceiling (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    payload    text NOT NULL
);
GRANT USAGE ON SCHEMA bench TO doublex_app;
GRANT SELECT, INSERT ON bench.ceiling TO doublex_app;
"""


def create_bench_schema(dsns: Dsns) -> None:
    with connect(dsns.admin) as conn:
        conn.execute(BENCH_SCHEMA_SQL)


# Customers A0001…A1000 (consecutive ids), then the hot revenue account and BIG.
ACCOUNTS_SQL = """
INSERT INTO ledger_private.account (code, name, ccy, type, created_by, changed_by)
SELECT code, name, 'EUR', type, 'bench:seed', 'bench:seed'
  FROM (SELECT g, 'A' || lpad(g::text, 4, '0'), 'Bench customer ' || g, 'asset'
          FROM generate_series(1, %(accounts)s) AS g
        UNION ALL
        SELECT %(accounts)s + 1, %(hot)s, 'Bench revenue (the hot house account)', 'income'
        UNION ALL
        SELECT %(accounts)s + 2, %(big)s, 'Bench account with a long history', 'asset'
       ) AS a (n, code, name, type)
 ORDER BY n
"""


@dataclass(frozen=True)
class AccountIds:
    first: int  # account_id of A0001; A0001…A1000 are consecutive
    big: int


def seed_accounts(dsns: Dsns) -> AccountIds:
    with connect(dsns.admin) as conn:
        conn.execute(ACCOUNTS_SQL, {"accounts": ACCOUNTS, "hot": HOT_ACCOUNT, "big": BIG_ACCOUNT})
        return load_account_ids(conn)


def load_account_ids(conn: psycopg.Connection[Any]) -> AccountIds:
    row = conn.execute(
        "SELECT min(account_id) FILTER (WHERE code ~ '^A[0-9]{4}$'),"
        "       max(account_id) FILTER (WHERE code ~ '^A[0-9]{4}$'),"
        "       min(account_id) FILTER (WHERE code = %(big)s)"
        "  FROM ledger_private.account WHERE tenant = 'default'",
        {"big": BIG_ACCOUNT},
    ).fetchone()
    if row is None or row[0] is None or row[2] is None or row[1] - row[0] + 1 != ACCOUNTS:
        raise SystemExit(f"bench accounts are missing or not consecutive: {row}")
    return AccountIds(first=int(row[0]), big=int(row[2]))


# -- seeding journals --------------------------------------------------------------------

# One chunk of journals i in [lo, hi], set-based, with triggers off (replica mode): the
# journal, its idempotency sentinel and two legs of one random amount, so every journal is
# balanced by construction. Journals i <= big_hi move money between BIG and a random
# customer; the others between two distinct random customers. Ids are UUIDv7-shaped and
# time-ordered (100 ms apart, starting 60 days ago) like the ones post_journal writes;
# txid takes its default, the inserting transaction.
SEED_CHUNK_SQL = """
WITH src AS MATERIALIZED (
    SELECT g.i, g.at, g.a,
           (lpad(to_hex(g.ms), 12, '0') || '7' || lpad(to_hex(g.i %% 4096), 3, '0') || '8'
            || lpad(to_hex(g.i), 15, '0'))::uuid AS journal_id,
           'seed-' || g.i AS idempotency_key,
           (g.at AT TIME ZONE 'UTC')::date AS effective_date,
           CASE WHEN g.i > %(big_hi)s THEN g.a WHEN g.i %% 2 = 0 THEN %(big)s ELSE g.a END
               AS debit_id,
           CASE WHEN g.i > %(big_hi)s THEN %(first)s + (g.a - %(first)s + 1 + g.r) %% 1000
                WHEN g.i %% 2 = 0 THEN g.a ELSE %(big)s END AS credit_id,
           g.amount
      FROM (SELECT i, %(base_ms)s + i * 100 AS ms,
                   to_timestamp((%(base_ms)s + i * 100) / 1000.0) AS at,
                   %(first)s + floor(random() * 1000)::bigint AS a,
                   floor(random() * 999)::bigint AS r,
                   round((1 + floor(random() * 100000))::numeric / 100, 2) AS amount
              FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS i) AS g
), journals AS (
    INSERT INTO ledger_private.journal
           (journal_id, tenant, idempotency_key, kind, effective_date, created_at, memo, created_by)
    SELECT s.journal_id, 'default', s.idempotency_key, 'transfer', s.effective_date, s.at,
           'bench seed', 'bench:seed'
      FROM src AS s
), sentinels AS (
    INSERT INTO ledger_private.idempotency_sentinel
           (tenant, idempotency_key, operation, fingerprint, journal_id, created_at)
    SELECT 'default', s.idempotency_key, 'post_journal',
           sha256(convert_to(s.idempotency_key, 'UTF8')), s.journal_id, s.at
      FROM src AS s
)
INSERT INTO ledger_private.leg
       (journal_id, leg_no, tenant, account_id, side, amount, ccy, effective_date)
SELECT s.journal_id, v.leg_no, 'default', v.account_id, v.side, s.amount, 'EUR',
       s.effective_date
  FROM src AS s
 CROSS JOIN LATERAL (VALUES (1::smallint, s.debit_id, 'debit'),
                            (2::smallint, s.credit_id, 'credit')) AS v (leg_no, account_id, side)
 ORDER BY s.i, v.leg_no
"""


@dataclass(frozen=True)
class SeedPlan:
    first: int  # first journal number (1-based)
    last: int
    big_hi: int  # journals numbered <= big_hi touch BIG
    ids: AccountIds
    base_ms: int


def seed_base_ms() -> int:
    """Seeded history starts 60 days ago, one journal every 100 ms."""
    return int((time.time() - 60 * 86400) * 1000)


def seed_journals(dsns: Dsns, plan: SeedPlan) -> float:
    """Insert journals plan.first…plan.last in chunks, one transaction each; seconds taken."""
    started = time.monotonic()
    total = plan.last - plan.first + 1
    with connect(dsns.admin) as conn:
        for lo in range(plan.first, plan.last + 1, SEED_CHUNK):
            hi = min(lo + SEED_CHUNK - 1, plan.last)
            insert_chunk(conn, plan, lo, hi)
            done = hi - plan.first + 1
            rate = done / max(time.monotonic() - started, 1e-9)
            say(f"  seeded {done:>10,} / {total:,} journals ({rate:,.0f}/s)")
    return time.monotonic() - started


def insert_chunk(conn: psycopg.Connection[Any], plan: SeedPlan, lo: int, hi: int) -> None:
    params = {
        "lo": lo,
        "hi": hi,
        "big_hi": plan.big_hi,
        "big": plan.ids.big,
        "first": plan.ids.first,
        "base_ms": plan.base_ms,
    }
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute("SET LOCAL synchronous_commit = off")
        conn.execute(SEED_CHUNK_SQL, params)


def seeded_journal_count(dsns: Dsns) -> int:
    with connect(dsns.admin) as conn:
        return int(scalar(conn, "SELECT count(*) FROM ledger_private.journal"))


# -- invariants --------------------------------------------------------------------------

# Each query counts violations; all must be 0. Run in one REPEATABLE READ snapshot.
INVARIANTS: dict[str, str] = {
    "Σ debits = Σ credits per currency": """
        SELECT count(*) FROM (
            SELECT l.ccy FROM ledger_private.leg AS l GROUP BY l.ccy
            HAVING sum(l.amount) FILTER (WHERE l.side = 'debit')
                   IS DISTINCT FROM sum(l.amount) FILTER (WHERE l.side = 'credit')) AS t""",
    "every journal balances per currency": """
        SELECT count(*) FROM (
            SELECT 1 FROM ledger_private.leg AS l GROUP BY l.journal_id, l.ccy
            HAVING sum(CASE l.side WHEN 'debit' THEN l.amount ELSE -l.amount END) <> 0) AS t""",
    "every journal has ≥ 2 legs": """
        SELECT count(*) FROM ledger_private.journal AS j
         WHERE (SELECT count(*) FROM ledger_private.leg AS l
                 WHERE l.journal_id = j.journal_id) < 2""",
    "legs match their journal (tenant, date) and account (tenant, ccy, decimals)": """
        SELECT count(*) FROM ledger_private.leg AS l
          LEFT JOIN ledger_private.journal AS j ON j.journal_id = l.journal_id
          LEFT JOIN ledger_private.account AS a ON a.account_id = l.account_id
          LEFT JOIN ledger_private.currency AS c ON c.code = l.ccy
         WHERE j.journal_id IS NULL OR a.account_id IS NULL OR c.code IS NULL
            OR l.tenant <> j.tenant OR l.effective_date <> j.effective_date
            OR a.tenant <> l.tenant OR a.ccy <> l.ccy OR scale(l.amount) > c.exponent""",
    "at most one journal per idempotency key": """
        SELECT count(*) FROM (
            SELECT 1 FROM ledger_private.journal
             GROUP BY tenant, idempotency_key HAVING count(*) > 1) AS t""",
    "every journal has its idempotency sentinel": """
        SELECT count(*) FROM ledger_private.journal AS j
          LEFT JOIN ledger_private.idempotency_sentinel AS s
            ON s.tenant = j.tenant AND s.idempotency_key = j.idempotency_key
         WHERE s.journal_id IS DISTINCT FROM j.journal_id""",
    "every account's get_balance = Σ of its legs (and respects allow_negative)": """
        SELECT count(*) FROM ledger_private.account AS a
          LEFT JOIN (SELECT l.account_id,
                            sum(l.amount) FILTER (WHERE l.side = 'debit') AS debits,
                            sum(l.amount) FILTER (WHERE l.side = 'credit') AS credits
                       FROM ledger_private.leg AS l GROUP BY l.account_id) AS s
            ON s.account_id = a.account_id
         CROSS JOIN LATERAL ledger.get_balance(a.code, NULL, a.tenant) AS b
         WHERE b.debits <> coalesce(s.debits, 0) OR b.credits <> coalesce(s.credits, 0)
            OR (NOT a.allow_negative AND b.balance < 0)""",
}


def check_invariants(dsns: Dsns) -> dict[str, int]:
    """Violations per invariant (all 0 when the ledger is sound)."""
    with connect(dsns.admin) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        conn.execute("SET work_mem = '256MB'")
        return {name: int(scalar(conn, query)) for name, query in INVARIANTS.items()}


def verify_invariants(dsns: Dsns, when: str) -> dict[str, int]:
    """Check, print one line per invariant, return the violations."""
    with timed(f"checking invariants {when}"):
        found = check_invariants(dsns)
    for name, violations in found.items():
        say(f"  {'ok  ' if violations == 0 else 'FAIL'} {name}: {violations} violation(s)")
    return found


def fail_loudly(found: dict[str, int], when: str) -> None:
    broken = {name: n for name, n in found.items() if n}
    if not broken:
        return
    bar = "!" * 78
    say(f"\n{bar}\nLEDGER INVARIANTS BROKEN {when}:")
    for name, violations in broken.items():
        say(f"  {name}: {violations} violation(s)")
    say(bar)
    sys.exit(1)


# -- maintenance -------------------------------------------------------------------------


def roll_up(dsns: Dsns) -> tuple[int, int]:
    """ledger.roll_up_balances() as doublex_app at READ COMMITTED: (accounts, legs folded)."""
    with connect(dsns.app) as conn:
        conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
        row = conn.execute(
            "SELECT accounts_updated, legs_folded FROM ledger.roll_up_balances()"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def vacuum_analyze_checkpoint(dsns: Dsns) -> None:
    with connect(dsns.admin, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")


def settle(dsns: Dsns) -> float:
    """Roll up, VACUUM ANALYZE and CHECKPOINT after seeding; seconds taken."""
    with timed("roll-up, VACUUM ANALYZE, CHECKPOINT") as clock:
        accounts, legs = roll_up(dsns)
        say(f"  rolled up {legs:,} legs into {accounts:,} checkpoints")
        vacuum_analyze_checkpoint(dsns)
    return clock["seconds"]


# -- routes: how pgbench reaches the server -----------------------------------------------


@dataclass(frozen=True)
class Route:
    """Direct connections, or PgBouncer in transaction mode (the deployment for many
    clients). PgBouncer 1.18 cannot keep named prepared statements across pooled
    transactions, so that route uses pgbench's extended protocol without them."""

    name: str
    title: str
    host: str
    port: str
    user: str
    protocol: str  # pgbench -M
    pooled: bool

    def dbname(self, scenario: Scenario) -> str:
        return pooled_alias(scenario) if self.pooled else DATABASE

    def env(self, scenario: Scenario) -> dict[str, str] | None:
        if self.pooled or not scenario.settings:
            return None  # the pooler's connect_query sets them
        return os.environ | {"PGOPTIONS": scenario.pgoptions}


def pooled_alias(scenario: Scenario) -> str:
    return f"{DATABASE}_{scenario.name}"


def direct_route(dsns: Dsns) -> Route:
    params = conninfo_to_dict(dsns.app)
    return Route(
        name="direct",
        title="Direct connections",
        host=str(params.get("host", "127.0.0.1")),
        port=str(params.get("port", "5432")),
        user=str(params["user"]),
        protocol="prepared",
        pooled=False,
    )


def pooled_route(dsns: Dsns, running: pooler.Pooler) -> Route:
    return Route(
        name="pgbouncer",
        title=(f"Through PgBouncer (transaction pooling, {running.pool_size} server connections)"),
        host=running.host,
        port=str(running.port),
        user=str(conninfo_to_dict(dsns.app)["user"]),
        protocol="extended",
        pooled=True,
    )


# -- pgbench -----------------------------------------------------------------------------


@dataclass
class RunResult:
    scenario: str
    clients: int
    duration_s: int
    tps: float  # transactions per second, without initial connection time
    journals_per_s: float | None  # tps times journals per transaction (batch100)
    processed: int
    failed: int
    serialization_failures: int
    deadlock_failures: int
    retried: int
    retries: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    aborted: bool
    posted_check: str  # "" when fine, else what was wrong with the rows written
    pct_of_ceiling: float | None = None
    route: str = "direct"

    @property
    def throughput(self) -> float:
        """What the table reports: journals/s for writes that post, else transactions/s."""
        return self.journals_per_s if self.journals_per_s is not None else self.tps

    @property
    def retries_per_100(self) -> float:
        return 100.0 * self.retries / self.processed if self.processed else 0.0


def pgbench_binary() -> str:
    candidate = localdb.find_bindir(config.load().pg_bindir) / "pgbench"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("pgbench")
    if not found:
        raise SystemExit("pgbench not found: install postgresql-client (make deps)")
    return found


def pgbench_command(
    binary: str, route: Route, scenario: Scenario, clients: int, opts: Options, prefix: Path
) -> list[str]:
    return [
        binary,
        "-h",
        route.host,
        "-p",
        route.port,
        "-U",
        route.user,
        "-n",
        "-M",
        route.protocol,
        "-c",
        str(clients),
        "-j",
        str(2 if clients >= 2 else 1),
        "-T",
        str(opts.duration),
        "--max-tries",
        str(opts.max_tries),
        "--failures-detailed",
        "-l",
        "--log-prefix",
        str(prefix),
        "-f",
        str(scenario.script),
        route.dbname(scenario),
    ]


SUMMARY_PATTERNS: dict[str, str] = {
    "processed": r"number of transactions actually processed: (\d+)",
    "failed": r"number of failed transactions: (\d+)",
    "serialization_failures": r"number of serialization failures: (\d+)",
    "deadlock_failures": r"number of deadlock failures: (\d+)",
    "retried": r"number of transactions retried: (\d+)",
    "retries": r"total number of retries: (\d+)",
    "tps": r"tps = ([0-9.]+) \(without initial connection time\)",
}


def parse_summary(text: str) -> dict[str, float]:
    """The numbers of pgbench's closing summary (absent lines count as 0)."""
    found: dict[str, float] = {}
    for key, pattern in SUMMARY_PATTERNS.items():
        match = re.search(pattern, text)
        found[key] = float(match.group(1)) if match else 0.0
    return found


def successful_latencies_us(log_dir: Path) -> list[int]:
    """Latency of each successful transaction from pgbench's per-transaction logs
    (`client tx time_us script epoch us [retries]`; failures say 'failed' or the kind)."""
    latencies: list[int] = []
    for path in log_dir.iterdir():
        with path.open() as handle:
            for line in handle:
                fields = line.split()
                if len(fields) >= 3 and fields[2].isdigit():
                    latencies.append(int(fields[2]))
    return latencies


def percentile_ms(sorted_us: Sequence[int], fraction: float) -> float | None:
    """Nearest-rank percentile, in milliseconds."""
    if not sorted_us:
        return None
    rank = max(1, math.ceil(fraction * len(sorted_us)))
    return sorted_us[rank - 1] / 1000.0


def rows_written(dsns: Dsns, scenario: Scenario) -> int:
    """Journals posted so far (ledger writes) or ceiling rows (insert1)."""
    table = "bench.ceiling" if scenario.name == CEILING else "ledger_private.journal"
    with connect(dsns.admin) as conn:
        return int(scalar(conn, f"SELECT count(*) FROM {table}"))


def written_per_tx(scenario: Scenario) -> int:
    return 1 if scenario.name == CEILING else scenario.journals_per_tx


def run_pgbench(
    binary: str, dsns: Dsns, route: Route, scenario: Scenario, clients: int, opts: Options
) -> RunResult:
    before = rows_written(dsns, scenario)
    with tempfile.TemporaryDirectory(prefix=f"doublex-bench-{scenario.name}-") as tmp:
        prefix = Path(tmp) / "tx"
        command = pgbench_command(binary, route, scenario, clients, opts, prefix)
        env = route.env(scenario)
        done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        latencies = sorted(successful_latencies_us(Path(tmp)))
    output = done.stdout + done.stderr
    summary = parse_summary(output)
    aborted = done.returncode != 0
    if aborted:
        say(f"  pgbench exited {done.returncode}:\n{indent(output)}")
    after = rows_written(dsns, scenario)
    result = build_result(scenario, clients, opts, summary, latencies, aborted, after - before)
    result.route = route.name
    return result


def build_result(
    scenario: Scenario,
    clients: int,
    opts: Options,
    summary: dict[str, float],
    latencies: Sequence[int],
    aborted: bool,
    written: int,
) -> RunResult:
    processed = int(summary["processed"])
    expected = processed * written_per_tx(scenario)
    check = "" if written == expected else f"{written} rows written, expected {expected}"
    return RunResult(
        scenario=scenario.name,
        clients=clients,
        duration_s=opts.duration,
        tps=summary["tps"],
        journals_per_s=summary["tps"] * scenario.journals_per_tx
        if scenario.journals_per_tx > 1
        else None,
        processed=processed,
        failed=int(summary["failed"]),
        serialization_failures=int(summary["serialization_failures"]),
        deadlock_failures=int(summary["deadlock_failures"]),
        retried=int(summary["retried"]),
        retries=int(summary["retries"]),
        p50_ms=percentile_ms(latencies, 0.50),
        p95_ms=percentile_ms(latencies, 0.95),
        p99_ms=percentile_ms(latencies, 0.99),
        aborted=aborted,
        posted_check=check,
    )


def indent(text: str) -> str:
    return "\n".join("    " + line for line in text.strip().splitlines())


def describe_run(result: RunResult) -> str:
    unit = "journals/s" if result.journals_per_s is not None else "tps"
    latency = "-" if result.p95_ms is None else f"p95 {result.p95_ms:.2f} ms"
    extra = " ABORTED" if result.aborted else ""
    extra += f" WRONG WRITES ({result.posted_check})" if result.posted_check else ""
    return (
        f"  {result.route:<9} {result.scenario:<9} c={result.clients:<3} "
        f"{result.throughput:>10,.1f} {unit:<10} "
        f"{latency:<16} retries {result.retries:>5} failed {result.failed:>4}{extra}"
    )


def run_scenario(
    binary: str, dsns: Dsns, route: Route, scenario: Scenario, clients: int, opts: Options
) -> RunResult:
    """Roll up (as the service does every few seconds), then one pgbench run."""
    roll_up(dsns)
    result = run_pgbench(binary, dsns, route, scenario, clients, opts)
    say(describe_run(result))
    return result


def run_matrix(dsns: Dsns, route: Route, opts: Options) -> list[RunResult]:
    binary = pgbench_binary()
    runs = len(opts.scenarios) * len(opts.clients)
    say(f"{route.title}: {runs} pgbench runs of {opts.duration} s (max-tries {opts.max_tries}) …")
    results = [
        run_scenario(binary, dsns, route, scenario, clients, opts)
        for scenario in opts.scenarios
        for clients in opts.clients
    ]
    add_ceiling_ratios(results)
    return results


def add_ceiling_ratios(results: list[RunResult]) -> None:
    ceilings = {r.clients: r.tps for r in results if r.scenario == CEILING}
    for result in results:
        ceiling = ceilings.get(result.clients)
        if ceiling:
            result.pct_of_ceiling = 100.0 * result.throughput / ceiling


# -- bars --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    name: str
    passed: bool | None  # None: not measured in this run (client count or scenario missing)
    measured: str


def find(results: Sequence[RunResult], scenario: str, clients: int) -> RunResult | None:
    return next((r for r in results if r.scenario == scenario and r.clients == clients), None)


def ratio_bar(
    name: str, results: Sequence[RunResult], scenario: str, clients: int, minimum_pct: float
) -> Bar:
    run = find(results, scenario, clients)
    if run is None or run.pct_of_ceiling is None:
        return Bar(name, None, "not measured")
    return Bar(name, run.pct_of_ceiling >= minimum_pct, f"{run.pct_of_ceiling:.1f}%")


def hot_latency_bar(results: Sequence[RunResult]) -> Bar:
    run = find(results, "hot", 16)
    name = "hot@16 p95 ≤ 15 ms"
    if run is None or run.p95_ms is None:
        return Bar(name, None, "not measured")
    return Bar(name, run.p95_ms <= 15.0, f"{run.p95_ms:.2f} ms")


def retry_bar(results: Sequence[RunResult], scenario: str, per: str) -> Bar:
    """At most one pgbench retry per 100 successful transactions of the scenario at 16."""
    run = find(results, scenario, 16)
    name = f"{scenario}@16 retries ≤ 1 per 100 {per}"
    if run is None or not run.processed:
        return Bar(name, None, "not measured")
    return Bar(name, run.retries_per_100 <= 1.0, f"{run.retries_per_100:.2f}")


def scaling_bar(results: Sequence[RunResult], scenario: str) -> Bar:
    low, high = find(results, scenario, 16), find(results, scenario, 64)
    name = f"{scenario}: TPS@64 ≥ 80% of TPS@16"
    if low is None or high is None or not low.throughput:
        return Bar(name, None, "not measured")
    pct = 100.0 * high.throughput / low.throughput
    return Bar(name, pct >= 80.0, f"{pct:.1f}%")


def hold_bar(results: Sequence[RunResult]) -> Bar:
    """Hold + capture on the hot account against hot post_journal, same run, same clients."""
    hold, hot = find(results, "hold", 16), find(results, "hot", 16)
    name = "hold@16 journals/s ≥ 60% of hot@16"
    if hold is None or hot is None or not hot.throughput:
        return Bar(name, None, "not measured")
    pct = 100.0 * hold.throughput / hot.throughput
    return Bar(name, pct >= 60.0, f"{pct:.1f}%")


def balance_bar(results: Sequence[RunResult]) -> Bar:
    run = find(results, "balance", 1)
    name = "balance@1 p95 ≤ 1 ms"
    if run is None or run.p95_ms is None:
        return Bar(name, None, "not measured")
    return Bar(name, run.p95_ms <= 1.0, f"{run.p95_ms:.3f} ms")


def evaluate_bars(results: Sequence[RunResult]) -> list[Bar]:
    ledger = [s.name for s in SCENARIOS if not s.ceiling]
    measured = {r.scenario for r in results}
    return [
        ratio_bar("uniform@16 ≥ 15% of INSERT ceiling@16", results, "uniform", 16, 15.0),
        ratio_bar("hot@16 ≥ 10% of INSERT ceiling@16", results, "hot", 16, 10.0),
        hot_latency_bar(results),
        retry_bar(results, "hot", "commits"),
        *(scaling_bar(results, name) for name in ledger if name in measured),
        ratio_bar("batch100@16 journals/s ≥ 40% of ceiling rows/s", results, "batch100", 16, 40),
        balance_bar(results),
        hold_bar(results),
        retry_bar(results, "hold", "journals"),
    ]


def bar_mark(bar: Bar) -> str:
    return "n/a" if bar.passed is None else ("PASS" if bar.passed else "FAIL")


# -- report ------------------------------------------------------------------------------

TABLE_HEADER = (
    "scenario",
    "clients",
    "TPS",
    "p50 ms",
    "p95 ms",
    "p99 ms",
    "retries/100",
    "failures",
    "% of INSERT ceiling",
)


def fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table_row(result: RunResult) -> list[str]:
    tps = f"{result.throughput:,.0f}"
    if result.journals_per_s is not None:
        tps += " journals/s"
    flags = " (aborted)" if result.aborted else ""
    flags += " (wrong writes)" if result.posted_check else ""
    pct = "-" if result.pct_of_ceiling is None else f"{result.pct_of_ceiling:.1f}%"
    return [
        result.scenario + flags,
        str(result.clients),
        tps,
        fmt_ms(result.p50_ms),
        fmt_ms(result.p95_ms),
        fmt_ms(result.p99_ms),
        f"{result.retries_per_100:.2f}",
        str(result.failed),
        pct,
    ]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    rule = "|" + "---|" * left + "--:|" * (len(header) - left)
    lines = ["| " + " | ".join(header) + " |", rule]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], left: int = 1) -> str:
    """A plain aligned table: the first `left` columns flush left, the others flush right."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]

    def render(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.ljust(w) if i < left else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([render(header), render(["-" * w for w in widths]), *map(render, rows)])


def bar_rows(bars: Sequence[Bar]) -> list[list[str]]:
    return [[bar_mark(b), b.name, b.measured] for b in bars]


@dataclass
class Section:
    """The runs of one route, with the bars read from them."""

    route: str
    title: str
    results: list[RunResult]
    bars: list[Bar]
    decides: bool  # whether --strict reads these bars

    def as_json(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "title": self.title,
            "decides": self.decides,
            "results": [
                {**asdict(r), "retries_per_100": r.retries_per_100, "throughput": r.throughput}
                for r in self.results
            ],
            "bars": [{**asdict(b), "status": bar_mark(b)} for b in self.bars],
        }


@dataclass
class Report:
    title: str
    meta: dict[str, Any]
    sections: list[Section] = field(default_factory=list)
    invariants: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "meta": self.meta,
            "sections": [section.as_json() for section in self.sections],
            "invariants": self.invariants,
        }


def meta_lines(meta: dict[str, Any]) -> list[str]:
    return [f"- {key}: {value}" for key, value in meta.items()]


def invariant_lines(invariants: dict[str, int]) -> list[str]:
    return [f"- {'ok' if n == 0 else 'BROKEN'}: {name} ({n})" for name, n in invariants.items()]


def section_markdown(section: Section, heading: str) -> list[str]:
    rows = [table_row(r) for r in section.results]
    return [
        f"{heading} {section.title}",
        "",
        markdown_table(TABLE_HEADER, rows),
        "",
        f"{heading}# Bars ({section.route})",
        "",
        markdown_table(("status", "bar", "measured"), bar_rows(section.bars), left=2),
        "",
    ]


def render_markdown(report: Report) -> str:
    heading = "##" if len(report.sections) > 1 else "#"
    parts = [
        f"# {report.title}",
        "",
        *meta_lines(report.meta),
        "",
        "TPS is transactions per second without connection time (batch100: journals per",
        "second, 100 per transaction); latencies are of successful transactions, including",
        "pgbench's retries; % of INSERT ceiling compares with insert1 at the same client count.",
        "retries/100: pgbench retries of 40001/40P01 per 100 successful transactions;",
        "failures: transactions that still failed after --max-tries.",
        "",
        *(line for s in report.sections for line in section_markdown(s, heading)),
        "## Invariants after the runs",
        "",
        *invariant_lines(report.invariants),
        "",
    ]
    return "\n".join(parts)


def render_terminal(report: Report) -> str:
    lines = ["", report.title]
    for section in report.sections:
        lines += [
            "",
            section.title,
            "",
            text_table(TABLE_HEADER, [table_row(r) for r in section.results]),
            "",
            f"bars ({section.route}):",
            text_table(("status", "bar", "measured"), bar_rows(section.bars), left=2),
        ]
    return "\n".join([*lines, ""])


def write_report(report: Report, directory: Path, stem: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{stem}.md").write_text(render_markdown(report), encoding="utf-8")
    (directory / f"{stem}.json").write_text(
        json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    say(f"wrote {directory / stem}.md and .json")


# -- machine and run facts ---------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> str:
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        return f"{pages / 2**30:.1f} GiB"
    except (ValueError, OSError):
        return "unknown"


SERVER_SETTINGS = (
    "shared_buffers",
    "synchronous_commit",
    "fsync",
    "max_connections",
    "max_pred_locks_per_transaction",
)


def server_facts(dsns: Dsns) -> dict[str, str]:
    with connect(dsns.admin) as conn:
        facts = {"postgres": str(scalar(conn, "SELECT version()"))}
        for name in SERVER_SETTINGS:
            facts[name] = str(scalar(conn, f"SHOW {name}"))
    return facts


def pgbench_version(binary: str) -> str:
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def load_average() -> str:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return " / ".join(f"{x:.2f}" for x in load)


def git_revision() -> str:
    """The checkout's commit, with '+changes' when the work tree differs from it."""
    root = str(config.project_root())
    head = subprocess.run(
        ["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", root, "status", "--porcelain", "--", "migrations", "procedures"],
        capture_output=True,
        text=True,
    )
    revision = head.stdout.strip() or "unknown"
    return revision + (" +changes in migrations/procedures" if dirty.stdout.strip() else "")


def machine_facts() -> dict[str, str]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "host": platform.node(),
        "os": platform.platform(),
        "cpu": f"{os.cpu_count()} x {cpu_model()}",
        "memory": memory_gib(),
        "load average at start (1/5/15 min)": load_average(),
        "code": git_revision(),
    }


@dataclass(frozen=True)
class SeedTimes:
    seeding: float
    verifying: float
    settling: float


def seed_facts(dsns: Dsns, times: SeedTimes) -> dict[str, str]:
    with connect(dsns.admin) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM ledger_private.journal),"
            "       (SELECT count(*) FROM ledger_private.leg),"
            "       (SELECT count(*) FROM ledger_private.account),"
            "       (SELECT count(*) FROM ledger_private.leg AS l"
            "          JOIN ledger_private.account AS a USING (account_id)"
            "         WHERE a.code = %(big)s),"
            "       pg_size_pretty(pg_database_size(current_database()))",
            {"big": BIG_ACCOUNT},
        ).fetchone()
    assert row is not None
    return {
        "seed journals": f"{row[0]:,}",
        "seed legs": f"{row[1]:,}",
        "accounts": f"{row[2]:,} ({ACCOUNTS:,} customers, {HOT_ACCOUNT}, {BIG_ACCOUNT})",
        f"legs on {BIG_ACCOUNT}": f"{row[3]:,}",
        "database size after seeding": str(row[4]),
        "seeding time": (
            f"{times.seeding:.1f} s (+ {times.verifying:.1f} s verifying, "
            f"{times.settling:.1f} s roll-up/vacuum/checkpoint)"
        ),
    }


# -- flows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    dsns: Dsns
    ids: AccountIds
    facts: dict[str, str]


def prepare(opts: Options) -> Prepared:
    """Cluster, fresh database, migrations, seed, verification, settle."""
    with timed(f"starting/reusing the cluster; recreating {DATABASE}; migrating"):
        dsns = bench_dsns()
        recreate_database(dsns)
        migrate(dsns)
        create_bench_schema(dsns)
        ids = seed_accounts(dsns)
    if opts.big_legs < DEFAULT_BIG_LEGS:
        say(f"note: {BIG_ACCOUNT} gets {opts.big_legs:,} legs (< 1M: balance is not the bar's)")
    say(f"seeding {opts.journals:,} journals ({opts.big_legs:,} touching {BIG_ACCOUNT}) …")
    plan = SeedPlan(1, opts.journals, opts.big_legs, ids, seed_base_ms())
    seconds = seed_journals(dsns, plan)
    say(f"seeded {opts.journals:,} journals in {seconds:.1f} s")
    started = time.monotonic()
    fail_loudly(verify_invariants(dsns, "after seeding"), "after seeding")
    verifying = time.monotonic() - started
    times = SeedTimes(seeding=seconds, verifying=verifying, settling=settle(dsns))
    return Prepared(dsns, ids, seed_facts(dsns, times))


def base_meta(opts: Options, prepared: Prepared) -> dict[str, Any]:
    return {
        **machine_facts(),
        **server_facts(prepared.dsns),
        "pgbench": pgbench_version(pgbench_binary()),
        **prepared.facts,
        "run": (
            f"{opts.duration} s per run, clients {','.join(map(str, opts.clients))}, "
            f"-n, -j 2 from 2 clients, --max-tries {opts.max_tries}, as doublex_app "
            "(SERIALIZABLE); -M prepared direct, -M extended through PgBouncer; "
            "roll-up before every run"
        ),
    }


def final_invariants(dsns: Dsns) -> dict[str, int]:
    return verify_invariants(dsns, "after the runs")


def aborted_runs(report: Report) -> list[str]:
    return [
        f"{r.route} {r.scenario}@{r.clients}"
        for section in report.sections
        for r in section.results
        if r.aborted or r.posted_check
    ]


def finish(report: Report, opts: Options, stem: str) -> int:
    """Print and write the report; the exit status (1 invariants or aborted runs, 2 bars)."""
    report.meta["load average at end (1/5/15 min)"] = load_average()
    say(render_terminal(report))
    write_report(report, opts.results_dir, stem)
    fail_loudly(report.invariants, "after the runs")
    broken_runs = aborted_runs(report)
    if broken_runs:
        say(f"RUNS ABORTED OR WROTE WRONG ROWS: {', '.join(broken_runs)}")
        return 1
    deciding = [b for s in report.sections if s.decides for b in s.bars]
    if opts.strict and any(b.passed is False for b in deciding):
        return 2
    return 0


def measure(dsns: Dsns, route: Route, opts: Options, decides: bool) -> Section:
    results = run_matrix(dsns, route, opts)
    return Section(route.name, route.title, results, evaluate_bars(results), decides)


def bench_suite(opts: Options) -> int:
    prepared = prepare(opts)
    meta = base_meta(opts, prepared)
    report = Report("DoubleX SQL benchmark (pgbench)", meta)
    dsns = prepared.dsns
    if opts.via in ("direct", "both"):
        report.sections.append(measure(dsns, direct_route(dsns), opts, opts.via == "direct"))
    if opts.via in ("pgbouncer", "both"):
        aliases = {pooled_alias(s): s.set_statements for s in opts.scenarios}
        with pooler.pgbouncer(dsns.app, aliases, opts.pool_size) as running:
            meta["pooler"] = f"{running.version}, transaction pooling, {running.pool_size} "
            meta["pooler"] += "server connections per scenario"
            report.sections.append(measure(dsns, pooled_route(dsns, running), opts, True))
    report.invariants = final_invariants(dsns)
    if any(s.name == "hold" for s in opts.scenarios):
        report.meta["holds left pending (a capture retried after its hold committed)"] = (
            pending_holds(dsns)
        )
    return finish(report, opts, opts.report_name)


def pending_holds(dsns: Dsns) -> int:
    """Holds without a resolution: the hold scenario's holds whose capture was retried."""
    with connect(dsns.admin) as conn:
        return int(scalar(conn, "SELECT count(*) FROM ledger_private.open_hold_leg") or 0) // 2


def grow(prepared: Prepared, opts: Options) -> float:
    """Add uniform journals until the ledger holds opts.growth_to; seconds taken."""
    have = seeded_journal_count(prepared.dsns)
    if have >= opts.growth_to:
        return 0.0
    say(f"growing from {have:,} to {opts.growth_to:,} journals …")
    # Journal numbers continue after every row present, so seed keys and ids never collide.
    plan = SeedPlan(have + 1, opts.growth_to, 0, prepared.ids, seed_base_ms())
    seconds = seed_journals(prepared.dsns, plan)
    say(f"grew by {opts.growth_to - have:,} journals in {seconds:.1f} s")
    return seconds


def growth_bar(before: RunResult, after: RunResult) -> Bar:
    pct = 100.0 * after.tps / before.tps if before.tps else 0.0
    return Bar("uniform@16 after growth ≥ 80% of before", pct >= 80.0, f"{pct:.1f}%")


def bench_growth(opts: Options) -> int:
    prepared = prepare(opts)
    meta = base_meta(opts, prepared)
    binary = pgbench_binary()
    uniform = SCENARIO_BY_NAME["uniform"]
    route = direct_route(prepared.dsns)
    before = run_scenario(binary, prepared.dsns, route, uniform, 16, opts)
    grow_seconds = grow(prepared, opts)
    settle(prepared.dsns)
    fail_loudly(verify_invariants(prepared.dsns, "after growing"), "after growing")
    after = run_scenario(binary, prepared.dsns, route, uniform, 16, opts)
    before.scenario = f"uniform ({opts.journals:,} journals)"
    after.scenario = f"uniform ({opts.growth_to:,} journals)"
    meta["growth"] = f"{opts.journals:,} → {opts.growth_to:,} journals in {grow_seconds:.1f} s"
    # Growth is about the data (plans, index depth), not the connections: direct only.
    meta["run"] = (
        f"uniform at 16 clients, {opts.duration} s per run, direct connections, -M prepared "
        f"-n -j 2, --max-tries {opts.max_tries}, as doublex_app (SERIALIZABLE); roll-up "
        "before every run"
    )
    report = Report("DoubleX SQL benchmark: growth", meta)
    report.sections = [
        Section(route.name, route.title, [before, after], [growth_bar(before, after)], True)
    ]
    report.invariants = final_invariants(prepared.dsns)
    return finish(report, opts, "sql-growth")


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_options(sys.argv[1:] if argv is None else argv)
    return bench_growth(opts) if opts.growth else bench_suite(opts)


if __name__ == "__main__":
    sys.exit(main())
