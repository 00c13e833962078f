"""The account statement benchmark: a statement of 100,000 legs over a year.

    .venv/bin/python bench/run_statement_bench.py                # make bench-statement
    .venv/bin/python bench/run_statement_bench.py --legs 20000   # a quicker run while developing

Steps: start or reuse the local cluster (DOUBLEX_DSN when set), drop and recreate the
database `doublex_statement_bench`, migrate it; open BENCH (asset) and SALES (income) and
post one two-leg journal per BENCH leg through the ledger's own posting path
(ledger.post_journals, batches of api_limit('batch_requests')), day by day over the last
365 days, closing each month end up to three months ago (ledger.eod_close) so that most of
the year reads from snapshots; progress on stderr. Then EXPLAIN ANALYZE of one page of
ledger.account_statement (the index it uses), and the real command, end to end, as a
subprocess: `doublex statement BENCH --from <a year ago> --to <today>` as table, CSV (best
of three each) and PDF (once). The CSV is checked: opening, one line per leg, closing equal
to ledger.get_balance. Results: bench/results/statement-bench.md and .json. Exit status 1
when a check fails, 2 when the bar (table and CSV ≤ 2 s) is missed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb

from doublex import migrate
from doublex.cli.common import admin_dsn

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
DATABASE = "doublex_statement_bench"
ACCOUNT, COUNTER = "BENCH", "SALES"
BAR_SECONDS = 2.0
DAYS = 365
DOUBLEX = Path(sys.executable).parent / "doublex"


def with_dbname(dsn: str, dbname: str) -> str:
    params = {k: v for k, v in conninfo_to_dict(dsn).items() if v is not None}
    params["dbname"] = dbname
    return make_conninfo(**params)  # type: ignore[arg-type]


def requests(legs: int, first: date, seed: int) -> list[tuple[date, dict[str, Any]]]:
    """One journal per BENCH leg, spread evenly over DAYS days from `first`: 70% sales
    (BENCH debited), 30% refunds, amounts 0.01 to 99,999.99."""
    rng = random.Random(seed)
    out = []
    for i in range(legs):
        day = first + timedelta(days=i * DAYS // legs)
        amount = str(Decimal(rng.randint(1, 9_999_999)).scaleb(-2))
        sale = rng.random() < 0.7
        debit, credit = (ACCOUNT, COUNTER) if sale else (COUNTER, ACCOUNT)
        out.append(
            (day, {
                "idempotency_key": f"bench-{i}", "effective_date": day.isoformat(),
                "memo": f"{'invoice' if sale else 'refund'} {i}", "ref": f"INV-{i:07d}",
                "legs": [{"account": debit, "side": "debit", "amount": amount, "ccy": "EUR"},
                         {"account": credit, "side": "credit", "amount": amount, "ccy": "EUR"}],
            })
        )  # fmt: skip
    return out


def month_ends(first: date, last: date) -> list[date]:
    """The last day of every month that ends in [first, last]."""
    ends = []
    day = first
    while day <= last:
        following = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
        if following - timedelta(days=1) <= last:
            ends.append(following - timedelta(days=1))
        day = following
    return ends


def load(admin: str, legs: int, today: date, seed: int) -> tuple[float, date | None]:
    """Post every journal in batches, closing the month ends up to three months ago as the
    days pass them. Answers the seconds taken and the last closed date."""
    first = today - timedelta(days=DAYS - 1)
    planned = requests(legs, first, seed)
    closes = month_ends(first, today - timedelta(days=90))
    started = time.monotonic()
    with psycopg.connect(admin) as conn:
        batch_size = conn.execute("SELECT ledger_private.api_limit('batch_requests')").fetchone()
        assert batch_size is not None
        conn.commit()

        def post(batch: list[dict[str, Any]]) -> None:
            conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
            with conn.transaction():
                rejected = conn.execute(
                    "SELECT count(*) FROM ledger.post_journals(%s) WHERE status <> 'posted'",
                    (Jsonb(batch),),
                ).fetchone()
            assert rejected == (0,), rejected

        def close(day: date) -> None:
            conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
            with conn.transaction():
                conn.execute("SELECT ledger.eod_close(%s)", (day,))

        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        with conn.transaction():
            conn.execute("SELECT ledger.create_account(%s, 'Bench customer', 'EUR')", (ACCOUNT,))
            conn.execute("SELECT ledger.create_account(%s, 'Sales', 'EUR', 'income')", (COUNTER,))
        batch: list[dict[str, Any]] = []
        with click.progressbar(length=legs, label="posting", file=sys.stderr) as bar:
            for day, request in planned:
                while closes and closes[0] < day:
                    post(batch)
                    bar.update(len(batch))
                    batch = []
                    close(closes.pop(0))
                batch.append(request)
                if len(batch) == batch_size[0]:
                    post(batch)
                    bar.update(len(batch))
                    batch = []
            if batch:
                post(batch)
                bar.update(len(batch))
        closed = conn.execute("SELECT latest_closed_date FROM ledger.eod_status()").fetchone()
        conn.commit()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.monotonic() - started, closed[0] if closed else None


def explain(admin: str, first: date, last: date) -> list[str]:
    """The plan of the page's leg query as the function runs it (auto_explain of nested
    statements is not needed: the same query, with the function's values)."""
    with psycopg.connect(admin) as conn:
        account_id = conn.execute(
            "SELECT account_id FROM ledger_private.account WHERE code = %s", (ACCOUNT,)
        ).fetchone()
        assert account_id is not None
        rows = conn.execute(
            """EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
               SELECT l.effective_date, l.journal_id, l.leg_no, l.side, l.amount
                 FROM ledger_private.leg AS l
                WHERE l.account_id = %s AND l.effective_date BETWEEN %s AND %s
                  AND (l.effective_date, l.journal_id, l.leg_no) > (%s::date, %s::uuid, 0::smallint)
                ORDER BY l.effective_date, l.journal_id, l.leg_no LIMIT 1000""",
            (account_id[0], first, last, first + timedelta(days=180),
             "00000000-0000-0000-0000-000000000000"),
        ).fetchall()  # fmt: skip
    return [row[0] for row in rows]


@dataclass(frozen=True)
class Timing:
    """One run of a command: wall seconds, and the CPU seconds of its process (user +
    system), which other work on a shared machine inflates far less."""

    wall: float
    cpu: float


def run_cli(env: dict[str, str], args: list[str]) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run([str(DOUBLEX), *args], env=env, capture_output=True, check=False)
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"doublex {' '.join(args)} failed:\n{done.stderr.decode()[-3000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Timing(elapsed, cpu)


def best(runs: list[Timing]) -> Timing:
    return Timing(min(r.wall for r in runs), min(r.cpu for r in runs))


def sql_seconds(admin: str, first: date, last: date) -> float:
    """Wall time of every page of the statement as the CLI asks for them, rows fetched and
    dropped: the database's share (and the rows' decoding)."""
    with psycopg.connect(admin) as conn:
        started = time.monotonic()
        cursor = None
        while True:
            rows = conn.execute(
                "SELECT kind, cursor FROM ledger.account_statement(%s, %s, %s, %s, 10000)",
                (ACCOUNT, first, last, cursor),
            ).fetchall()
            if rows[-1][0] == "closing":
                return time.monotonic() - started
            cursor = rows[-1][1]


def check_csv(path: Path, admin: str, legs: int, last: date) -> dict[str, bool]:
    with path.open(encoding="utf-8") as handle:
        lines = list(csv.DictReader(handle))
    with psycopg.connect(admin) as conn:
        balance = conn.execute(
            "SELECT balance FROM ledger.get_balance(%s, %s)", (ACCOUNT, last)
        ).fetchone()
    assert balance is not None
    return {
        "opening first, closing last": (lines[0]["kind"], lines[-1]["kind"])
        == ("opening", "closing"),
        "one line per leg": sum(line["kind"] == "leg" for line in lines) == legs,
        "last running balance = closing = get_balance(to)": (
            lines[-2]["balance"] == lines[-1]["balance"] == format(balance[0], "f")
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--legs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument(
        "--reuse", action="store_true", help="time the database an earlier run loaded today"
    )
    options = parser.parse_args()

    server = admin_dsn()
    admin = with_dbname(server, DATABASE)
    today = datetime.now(UTC).date()
    first = today - timedelta(days=DAYS - 1)
    if options.reuse:
        migrate.apply(admin)
        with psycopg.connect(admin) as conn:
            row = conn.execute("SELECT latest_closed_date FROM ledger.eod_status()").fetchone()
        load_seconds, closed = None, row[0] if row else None
    else:
        with psycopg.connect(server, autocommit=True) as conn:
            name = sql.Identifier(DATABASE)
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
        migrate.apply(admin)
        load_seconds, closed = load(admin, options.legs, today, options.seed)
    plan = explain(admin, first, today)

    env = os.environ | {"DOUBLEX_DSN": admin}
    base = ["statement", ACCOUNT, "--from", first.isoformat(), "--to", today.isoformat()]
    timings: dict[str, Timing] = {}
    checks: dict[str, bool] = {}
    load_average = os.getloadavg()[0]
    timings["startup"] = best([run_cli(env, ["statement", "--help"]) for _ in range(3)])
    timings["sql"] = Timing(min(sql_seconds(admin, first, today) for _ in range(3)), 0.0)
    with tempfile.TemporaryDirectory() as scratch:
        for fmt in ("table", "csv"):
            out = Path(scratch) / f"statement.{fmt}"
            runs = [run_cli(env, [*base, "--format", fmt, "--output", str(out)]) for _ in range(3)]
            timings[fmt] = best(runs)
            print(f"{fmt}: " + ", ".join(f"{r.wall:.2f} s (cpu {r.cpu:.2f})" for r in runs),
                  file=sys.stderr)  # fmt: skip
        checks = check_csv(Path(scratch) / "statement.csv", admin, options.legs, today)
        pdf = Path(scratch) / "statement.pdf"
        timings["pdf"] = run_cli(env, [*base, "--format", "pdf", "--output", str(pdf)])
        pdf_bytes = pdf.stat().st_size
        from pypdf import PdfReader

        pdf_pages = len(PdfReader(pdf).pages)
        checks["a PDF page or more per month"] = pdf_pages >= 12

    bar_met = timings["table"].wall <= BAR_SECONDS and timings["csv"].wall <= BAR_SECONDS
    result = {
        "legs": options.legs,
        "period": [first.isoformat(), today.isoformat()],
        "closed_through": closed.isoformat() if closed else None,
        "load_seconds": None if load_seconds is None else round(load_seconds, 2),
        **{f"{name}_seconds": round(t.wall, 2) for name, t in timings.items()},
        **{f"{name}_cpu_seconds": round(t.cpu, 2) for name, t in timings.items() if t.cpu},
        "pdf_pages": pdf_pages,
        "pdf_mb": round(pdf_bytes / 1e6, 1),
        "bar_seconds": BAR_SECONDS,
        "bar_met": bar_met,
        "checks": checks,
        "plan": plan,
        "cpus": os.cpu_count(),
        "load_average": load_average,
        "python": platform.python_version(),
        "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "statement-bench.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS_DIR / "statement-bench.md").write_text(markdown(result))
    print(markdown(result))
    if not all(checks.values()):
        return 1
    return 0 if bar_met else 2


def markdown(r: dict[str, Any]) -> str:
    checks = "\n".join(
        f"| {label} | {'ok' if ok else 'FAILED'} |" for label, ok in r["checks"].items()
    )
    plan = "\n".join(f"    {line}" for line in r["plan"])
    load = "earlier run" if r["load_seconds"] is None else f"{r['load_seconds']:.2f}"
    pdf = f"PDF (`--format pdf`, {r['pdf_pages']:,} pages, {r['pdf_mb']:.1f} MB)"
    rows = [
        ("load (ledger.post_journals batches, month-end closes)", load, ""),
        *(
            (label, f"{r[key + '_seconds']:.2f}", f"{r.get(key + '_cpu_seconds', 0):.2f}")
            for key, label in (
                ("startup", "Python start (`doublex statement --help`)"),
                ("table", "table (`--format table`)"),
                ("csv", "CSV (`--format csv`)"),
                ("pdf", pdf),
            )
        ),
        ("the SQL alone: every page, fetched (psycopg)", f"{r['sql_seconds']:.2f}", ""),
    ]
    steps = "\n".join(f"| {label} | {wall} | {cpu} |" for label, wall, cpu in rows)
    return f"""# Account statement benchmark

A statement of {r["legs"]:,} legs of one account over a year ({r["period"][0]} to
{r["period"][1]}, closed through {r["closed_through"]}: the months before read their balances
from snapshots); {r["cpus"]} CPUs shared with other work, load average when the timings
started {r["load_average"]:.2f}; {r["at"]}. Command: `make bench-statement`. Each time is
`doublex statement` end to end, a subprocess (Python start, every page of
ledger.account_statement in one snapshot, rendering, writing the file): the best of three
runs for table and CSV, one run for the PDF. Wall time includes waiting for a CPU on a busy
machine; the CPU column is the command's own work, the SQL row the database's share.

| step | wall seconds | CPU seconds of the command |
|---|---:|---:|
{steps}

Bar: table and CSV ≤ {r["bar_seconds"]:.0f} s: {"met" if r["bar_met"] else "MISSED"}.

| check | |
|---|---|
{checks}

The plan of one page's legs (1,000 legs from the middle of the year):

{plan}
"""


if __name__ == "__main__":
    sys.exit(main())
