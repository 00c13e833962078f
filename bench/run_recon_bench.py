"""The reconciliation benchmark: 100,000 statement lines against 100,000 legs.

    .venv/bin/python bench/run_recon_bench.py                 # make bench-recon
    .venv/bin/python bench/run_recon_bench.py --lines 20000   # a quicker run while developing
    .venv/bin/python bench/run_recon_bench.py --adversarial --lines 20000   # pass 2's worst case

Steps: start or reuse the local cluster (DOUBLEX_DSN when set), drop and recreate the
database `doublex_recon_bench`, migrate it; as the owner, seed one journal per leg
set-based (triggers off, balanced by construction: the bank account's leg and an income
leg of one amount); write a statement CSV whose lines are the legs as the bank sees them,
shuffled, with injected cases: 1% of legs have no line (missing_in_bank), 2% of lines carry
the right ref and a wrong amount (amount_mismatch), 2% a mistyped ref with the amount off by
at most 0.01 (matched in pass 2), plus as many lines the ledger does not know
(missing_in_ledger) as legs without a line, so that lines = legs.
Then it times the real paths: `doublex recon import` (a subprocess: CSV reading, COPY,
ledger.import_statement), the same import again (duplicate), `ledger.recon_run` as
doublex_app, a re-run, and `doublex recon report` (CSV, JSON, HTML). It checks the outcome
(one outcome per line, at most one per leg, the expected exception counts, deltas adding up
to the difference), prints one table and writes bench/results/recon-bench.md and .json.
Exit status 1 when a check fails, 2 when a bar (import ≤ 10 s, matching ≤ 10 s) is missed.

--adversarial: pass 2's worst case instead. No ref is shared, so everything pairs by amount:
lines 1.00, 1.02, 1.04, … and legs 1.01, 1.03, … (tolerance 0.01), in that order in the
file and in the ledger, so that every candidate edge has the same difference and the
tie-break order makes one long chain (each line's first leg is taken by the line before).
Rounds of locally dominant edges pair one edge per round there. Greedy pairs line k with
leg k: every line and leg is matched. Results go to recon-bench-adversarial.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from doublex import config
from doublex.cli.common import admin_dsn

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
DATABASE = "doublex_recon_bench"
ACCOUNT = "1001-BANK"
COUNTER = "4001-SALES"
# Two weeks before today: inside the effective-date window whatever day the bench runs.
BUSINESS_DATE = datetime.now(UTC).date() - timedelta(days=14)
BAR_SECONDS = 10.0
DOUBLEX = Path(sys.executable).parent / "doublex"


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def with_dbname(dsn: str, dbname: str) -> str:
    params = {k: v for k, v in conninfo_to_dict(dsn).items() if v is not None}
    params["dbname"] = dbname
    return make_conninfo(**params)  # type: ignore[arg-type]


@dataclass
class Plan:
    """The legs (signed as the bank sees them) and the statement lines, with what to expect."""

    leg_amounts: list[Decimal]
    leg_refs: list[str]
    lines: list[tuple[str, Decimal]]  # (ref, amount)
    missing_in_bank: int
    amount_mismatch: int
    typo: int
    missing_in_ledger: int
    expect_all_matched: bool = False


def make_plan(legs: int, seed: int) -> Plan:
    rng = random.Random(seed)
    amounts: list[Decimal] = []
    refs: list[str] = []
    lines: list[tuple[str, Decimal]] = []
    missing_in_bank = mismatch = typo = 0
    for i in range(legs):
        cents = rng.randint(1, 9_999_999)
        amount = Decimal(cents).scaleb(-2) * (1 if rng.random() < 0.7 else -1)
        ref = f"PAY-{i:08d}"
        amounts.append(amount)
        refs.append(ref)
        draw = rng.random()
        if draw < 0.01:
            missing_in_bank += 1
        elif draw < 0.03:
            mismatch += 1
            lines.append((ref, amount + Decimal("0.50")))
        elif draw < 0.05:
            typo += 1
            lines.append((ref + "X", amount + Decimal(rng.choice((-1, 0, 1))).scaleb(-2)))
        else:
            lines.append((ref, amount))
    extra = missing_in_bank  # as many unknown lines as legs without one: lines = legs
    for j in range(extra):
        lines.append((f"BANK-{j:08d}", Decimal(rng.randint(1, 9_999_999)).scaleb(-2)))
    rng.shuffle(lines)
    return Plan(amounts, refs, lines, missing_in_bank, mismatch, typo, extra)


def make_adversarial_plan(legs: int) -> Plan:
    """Lines 1.00, 1.02, … and legs 1.01, 1.03, …: one chain of edges of difference 0.01."""
    amounts = [Decimal(101 + 2 * i).scaleb(-2) for i in range(legs)]
    refs = [f"PAY-{i:08d}" for i in range(legs)]
    lines = [(f"BANK-{i:08d}", Decimal(100 + 2 * i).scaleb(-2)) for i in range(legs)]
    return Plan(amounts, refs, lines, 0, 0, 0, 0, expect_all_matched=True)


SEED_SQL = """
WITH src AS MATERIALIZED (
    SELECT p.i, p.amount, p.ref,
           (lpad(to_hex(%(base_ms)s + p.i), 12, '0') || '7' || lpad(to_hex(p.i %% 4096), 3, '0')
            || '8' || lpad(to_hex(p.i), 15, '0'))::uuid AS journal_id
      FROM unnest(%(amounts)s::numeric[], %(refs)s::text[]) WITH ORDINALITY AS p (amount, ref, i)
), journals AS (
    INSERT INTO ledger_private.journal
           (journal_id, tenant, idempotency_key, kind, effective_date, memo, ref, created_by)
    SELECT s.journal_id, 'default', 'recon-bench-' || s.i, 'transfer', %(day)s, 'bench', s.ref,
           'bench:seed'
      FROM src AS s
), sentinels AS (
    INSERT INTO ledger_private.idempotency_sentinel
           (tenant, idempotency_key, operation, fingerprint, journal_id)
    SELECT 'default', 'recon-bench-' || s.i, 'post_journal',
           sha256(convert_to('recon-bench-' || s.i, 'UTF8')), s.journal_id
      FROM src AS s
)
INSERT INTO ledger_private.leg
       (journal_id, leg_no, tenant, account_id, side, amount, ccy, effective_date)
SELECT s.journal_id, v.leg_no, 'default', v.account_id, v.side, abs(s.amount), 'EUR', %(day)s
  FROM src AS s
 CROSS JOIN LATERAL (
       VALUES (1::smallint, %(bank)s::bigint,
               CASE WHEN s.amount > 0 THEN 'debit' ELSE 'credit' END),
              (2::smallint, %(sales)s::bigint,
               CASE WHEN s.amount > 0 THEN 'credit' ELSE 'debit' END)
       ) AS v (leg_no, account_id, side)
 ORDER BY s.i, v.leg_no
"""


def prepare_database(server: str, admin: str, plan: Plan) -> float:
    with psycopg.connect(server, autocommit=True) as conn:
        name = sql.Identifier(DATABASE)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    from doublex import migrate

    migrate.apply(admin)
    started = time.monotonic()
    with psycopg.connect(admin) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        conn.execute("SELECT ledger.create_account(%s, 'Bank account', 'EUR')", (ACCOUNT,))
        conn.execute("SELECT ledger.create_account(%s, 'Sales', 'EUR', 'income')", (COUNTER,))
        ids = dict(conn.execute("SELECT code, account_id FROM ledger_private.account").fetchall())
        conn.commit()
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")
            conn.execute("SET LOCAL synchronous_commit = off")
            conn.execute(
                SEED_SQL,
                {
                    "amounts": plan.leg_amounts,
                    "refs": plan.leg_refs,
                    "day": BUSINESS_DATE,
                    "bank": ids[ACCOUNT],
                    "sales": ids[COUNTER],
                    "base_ms": int((time.time() - 86400) * 1000),
                },
            )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        conn.execute("CHECKPOINT")
    return time.monotonic() - started


def write_statement(plan: Plan, path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        handle.write("date,ref,amount,ccy,description\n")
        for n, (ref, amount) in enumerate(plan.lines):
            handle.write(f"{BUSINESS_DATE.isoformat()},{ref},{amount},EUR,bench line {n}\n")


def timed_command(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    run = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({run.returncode}):\n{run.stderr[-3000:]}")
    return elapsed, run.stdout


def timed_recon_run(app: str) -> tuple[float, dict[str, Any]]:
    with psycopg.connect(app, autocommit=True) as conn:
        started = time.monotonic()
        cursor = conn.execute("SELECT * FROM ledger.recon_run(%s, %s)", (ACCOUNT, BUSINESS_DATE))
        names = [d.name for d in cursor.description or []]
        row = cursor.fetchone()
        elapsed = time.monotonic() - started
    assert row is not None
    return elapsed, dict(zip(names, row, strict=True))


CHECKS = {
    "every statement line has exactly one outcome": """
        SELECT count(*) FROM ledger_private.statement_line AS s
         WHERE s.line_date = %(day)s
           AND (SELECT count(*) FROM ledger_private.recon_outcome AS o
                 WHERE o.line_id = s.line_id) <> 1
    """,
    "no leg in more than one outcome": """
        SELECT count(*) FROM (SELECT o.journal_id, o.leg_no FROM ledger_private.recon_outcome AS o
                               WHERE o.journal_id IS NOT NULL
                               GROUP BY 1, 2 HAVING count(*) > 1) AS twice
    """,
    "deltas add up to bank total - ledger total": """
        SELECT count(*) FROM ledger_private.recon_run AS r
         WHERE r.run_id = (SELECT max(run_id) FROM ledger_private.recon_run)
           AND r.bank_total - r.ledger_total
               <> (SELECT sum(o.delta) FROM ledger_private.recon_outcome AS o
                    WHERE o.run_id = r.run_id)
    """,
}


def check(admin: str, summary: dict[str, Any], plan: Plan) -> dict[str, bool]:
    results: dict[str, bool] = {}
    with psycopg.connect(admin, autocommit=True) as conn:
        for label, query in CHECKS.items():
            row = conn.execute(query, {"day": BUSINESS_DATE}).fetchone()
            results[label] = row is not None and row[0] == 0
    results["statement lines = legs = planned"] = summary["statement_lines"] == len(
        plan.lines
    ) and summary["legs"] == len(plan.leg_refs)
    results["amount_mismatch = injected wrong amounts"] = (
        summary["amount_mismatch"] == plan.amount_mismatch
    )
    # A mistyped line may meet another open leg within the tolerance; the counts stay close.
    results["missing_in_bank ≈ legs without a line"] = (
        abs(summary["missing_in_bank"] - plan.missing_in_bank) <= plan.typo // 100 + 2
    )
    results["missing_in_ledger ≈ unknown lines"] = (
        abs(summary["missing_in_ledger"] - plan.missing_in_ledger) <= plan.typo // 100 + 2
    )
    if plan.expect_all_matched:
        results["every line matched (greedy pairs line k with leg k)"] = summary["matched"] == len(
            plan.lines
        ) and _pairs_in_order(admin)
    return results


def _pairs_in_order(admin: str) -> bool:
    """In the adversarial plan the k-th line (by amount) must pair with the k-th leg."""
    query = """
        SELECT count(*) FROM (
            SELECT row_number() OVER (ORDER BY o.bank_amount) AS by_line,
                   row_number() OVER (ORDER BY o.ledger_amount) AS by_leg,
                   o.bank_amount, o.ledger_amount
              FROM ledger_private.recon_outcome AS o WHERE o.kind = 'matched') AS m
         WHERE m.by_line <> m.by_leg OR m.ledger_amount - m.bank_amount <> 0.01
    """
    with psycopg.connect(admin, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
    return row is not None and row[0] == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=100_000, help="legs (and about as many lines)")
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument(
        "--adversarial",
        action="store_true",
        help="pass 2's worst case: amounts one tolerance step apart, alternating lines and legs",
    )
    opts = parser.parse_args(argv)

    server = admin_dsn()
    admin = with_dbname(server, DATABASE)
    app = config.as_app_role(admin)
    plan = (
        make_adversarial_plan(opts.lines) if opts.adversarial else make_plan(opts.lines, opts.seed)
    )
    result_name = "recon-bench-adversarial" if opts.adversarial else "recon-bench"
    load_before = os.getloadavg()
    say(f"seeding {len(plan.leg_refs):,} journals in {DATABASE} …")
    seed_seconds = prepare_database(server, admin, plan)
    env = os.environ | {"DOUBLEX_DSN": admin}

    timings: dict[str, float] = {"seed (owner, set-based)": seed_seconds}
    with tempfile.TemporaryDirectory(prefix="doublex-recon-bench-") as tmp:
        statement = Path(tmp) / "statement.csv"
        write_statement(plan, statement)
        command = [str(DOUBLEX), "recon", "import", str(statement), "--account", ACCOUNT, "--json"]
        say(f"importing {len(plan.lines):,} lines …")
        timings["import (doublex recon import)"], out = timed_command(command, env)
        imported = json.loads(out)
        timings["import again (duplicate file)"], out = timed_command(command, env)
        again = json.loads(out)
        say("reconciling …")
        timings["matching (ledger.recon_run)"], summary = timed_recon_run(app)
        timings["matching again (replaces the result)"], rerun = timed_recon_run(app)
        report_dir = Path(tmp) / "report"
        report = [
            str(DOUBLEX),
            "recon",
            "report",
            "--date",
            BUSINESS_DATE.isoformat(),
            "--out",
            str(report_dir),
            "--json",
        ]
        timings["report (csv, json, html)"], _ = timed_command(report, env)
        html_bytes = sum(p.stat().st_size for p in report_dir.glob("*.html"))

    checks = check(admin, summary, plan)
    checks["import added every line"] = imported["added"] == len(plan.lines)
    checks["second import is a duplicate"] = again["status"] == "duplicate" and again["added"] == 0
    checks["re-run gives the same result"] = all(
        rerun[k] == summary[k] for k in ("matched", "amount_mismatch", "missing_in_ledger")
    )
    bars = {
        "import ≤ 10 s": timings["import (doublex recon import)"] <= BAR_SECONDS,
        "matching ≤ 10 s": timings["matching (ledger.recon_run)"] <= BAR_SECONDS,
    }
    outcome = {
        k: summary[k]
        for k in (
            "statement_lines",
            "legs",
            "matched",
            "amount_mismatch",
            "missing_in_ledger",
            "missing_in_bank",
            "bank_total",
            "ledger_total",
            "difference",
        )
    }
    report_lines = render(
        timings, outcome, checks, bars, plan, html_bytes, load_before, opts.adversarial
    )
    print("\n".join(report_lines))
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{result_name}.md").write_text("\n".join(report_lines) + "\n", encoding="utf-8")
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": platform.node(),
        "os": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_start": load_before,
        "scenario": "adversarial" if opts.adversarial else "random",
        "legs": len(plan.leg_refs),
        "statement_lines": len(plan.lines),
        "injected": {
            "missing_in_bank": plan.missing_in_bank,
            "amount_mismatch": plan.amount_mismatch,
            "mistyped_ref": plan.typo,
            "missing_in_ledger": plan.missing_in_ledger,
        },
        "seconds": timings,
        "outcome": {k: str(v) for k, v in outcome.items()},
        "checks": checks,
        "bars": bars,
    }
    (RESULTS_DIR / f"{result_name}.json").write_text(json.dumps(document, indent=2) + "\n")
    if not all(checks.values()):
        return 1
    return 0 if all(bars.values()) else 2


def render(
    timings: dict[str, float],
    outcome: dict[str, Any],
    checks: dict[str, bool],
    bars: dict[str, bool],
    plan: Plan,
    html_bytes: int,
    load: tuple[float, float, float],
    adversarial: bool,
) -> list[str]:
    command = (
        f"make bench-recon ARGS='--adversarial --lines {len(plan.lines)}'"
        if adversarial
        else "make bench-recon"
    )
    lines = [
        "# Reconciliation benchmark" + (": pass 2's worst case" if adversarial else ""),
        "",
        f"{len(plan.lines):,} statement lines against {len(plan.leg_refs):,} legs of one account "
        f"and date; {os.cpu_count()} CPUs, load average at start {load[0]:.2f}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Command: `{command}`.",
        "",
        "| step | seconds |",
        "|---|---:|",
    ]
    lines += [f"| {label} | {seconds:.2f} |" for label, seconds in timings.items()]
    lines += ["", "| outcome | value |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in outcome.items()]
    scenario = (
        "Scenario: no shared ref; lines 1.00, 1.02, … and legs 1.01, 1.03, …, tolerance 0.01 "
        "(every candidate edge differs by 0.01; one chain)."
        if adversarial
        else f"Injected: {plan.missing_in_bank:,} legs without a line, "
        f"{plan.amount_mismatch:,} wrong amounts, {plan.typo:,} mistyped refs (amount within "
        f"0.01), {plan.missing_in_ledger:,} lines unknown to the ledger."
    )
    lines += ["", f"{scenario} HTML report: {html_bytes / 1e6:.1f} MB.", ""]
    lines += ["| check | |", "|---|---|"]
    lines += [f"| {k} | {'ok' if v else 'FAILED'} |" for k, v in checks.items()]
    lines += ["", "| bar | |", "|---|---|"]
    lines += [f"| {k} | {'met' if v else 'MISSED'} |" for k, v in bars.items()]
    return lines


if __name__ == "__main__":
    sys.exit(main())
