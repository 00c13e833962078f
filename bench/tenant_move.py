"""Moving a tenant between shards (`doublex shards move`): copy time, the window its writes
are refused, rows per second, while it and another tenant post through the proxy.

    .venv/bin/python bench/tenant_move.py                 # make bench-move (1,000,000 legs)
    .venv/bin/python bench/tenant_move.py --legs 200000

Steps: two throwaway PostgreSQL clusters in a temporary folder (the development settings of
`doublex db start`), each with a migrated shard database, and the proxy database
(`doublex.shards.generate`, 4 partitions) on the first. The tenant `mover` gets --accounts
accounts and --legs legs (two a journal, with their idempotency sentinels) on one business
date, written straight into its shard by one INSERT (seeding, not posting: the triggers of
a posting are off for it), and closed with ledger.eod_close (its seal covers them all). A
second tenant on the same shard, `neighbour`, and `mover` itself then post through the
proxy, one client each, while `doublex.tenant_move.move_tenant` moves `mover` to the
other shard.

Reported: the bulk copy, the catch-up pass, the fenced window (from the fence to the
switch, as the move measures it) and the window the mover's client saw refused (from its
first DX067 to its last), rows per second of the bulk copy, the neighbour's failed
requests (bar: 0), and the time to clear the source. Report: bench/results/tenant-move.md
and .json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from proxy_overhead import open_tenant, say, start_cluster

from doublex import migrate, shards, tenant_move
from doublex.config import API_ROLE, SERVICE_ROLE, as_role

RESULTS_DIR = Path(__file__).resolve().parent / "results"
MOVER, NEIGHBOUR = "mover", "neighbour"

SEED = """
WITH src AS MATERIALIZED (
    SELECT g.i, gen_random_uuid() AS journal_id, 'seed-' || g.i AS idempotency_key,
           a.account_id AS debit_id, b.account_id AS credit_id,
           round((1 + g.i %% 10000)::numeric / 100, 2) AS amount
      FROM generate_series(1, %(journals)s) AS g (i)
      JOIN ledger_private.account AS a
        ON a.tenant = %(tenant)s AND a.code = 'A' || (1 + g.i %% %(accounts)s)
      JOIN ledger_private.account AS b
        ON b.tenant = %(tenant)s AND b.code = 'B' || (1 + g.i %% %(accounts)s)
), journals AS (
    INSERT INTO ledger_private.journal
           (journal_id, tenant, idempotency_key, effective_date, created_by)
    SELECT s.journal_id, %(tenant)s, s.idempotency_key, %(day)s, 'bench' FROM src AS s
), sentinels AS (
    INSERT INTO ledger_private.idempotency_sentinel
           (tenant, idempotency_key, operation, fingerprint, journal_id)
    SELECT %(tenant)s, s.idempotency_key, 'post_journal', '\\x00', s.journal_id FROM src AS s
)
INSERT INTO ledger_private.leg
       (journal_id, leg_no, tenant, account_id, side, amount, ccy, effective_date)
SELECT s.journal_id, v.leg_no, %(tenant)s, v.account_id, v.side, s.amount, 'EUR', %(day)s
  FROM src AS s
 CROSS JOIN LATERAL (VALUES (1::smallint, s.debit_id, 'debit'),
                            (2::smallint, s.credit_id, 'credit')) AS v (leg_no, account_id, side)
"""


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--legs", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=100)
    return parser.parse_args(argv)


def placement(proxy: str, partitions: int) -> dict[str, int]:
    with psycopg.connect(proxy) as conn:
        return {
            t: shards.partition_map(2, partitions)[shards.partition_of(t, partitions, conn)]
            for t in (MOVER, NEIGHBOUR)
        }


def seed(proxy: str, shard: str, accounts: int, legs: int) -> dict[str, str]:
    """Both tenants, the mover's accounts and legs and a close over them; a key each."""
    keys = {}
    with psycopg.connect(proxy) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        for tenant in (MOVER, NEIGHBOUR):
            keys[tenant] = open_tenant(conn, tenant, accounts)
        day = conn.execute("SELECT ledger.business_date(tenant => %s) - 1", [MOVER]).fetchone()
        conn.commit()
    assert day is not None
    with psycopg.connect(shard) as conn:
        params = {"journals": legs // 2, "tenant": MOVER, "accounts": accounts, "day": day[0]}
        conn.execute("SET session_replication_role = replica")
        conn.execute(SEED, params)
        conn.commit()
        conn.execute("ANALYZE")
        conn.commit()
    with psycopg.connect(proxy) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        conn.execute("SELECT ledger.eod_close(%s, tenant => %s)", [day[0], MOVER])
        conn.commit()
    with psycopg.connect(shard, autocommit=True) as conn:
        conn.execute("SELECT ledger.sequence_events()")  # as the shard's pump would have
    return keys


class Poster(threading.Thread):
    """One client posting through the proxy as the REST service does, as fast as it can."""

    def __init__(self, proxy: str, key: str) -> None:
        super().__init__(daemon=True)
        self.proxy, self.key = proxy, key
        self.stop = threading.Event()
        self.ok = 0
        self.refused: list[float] = []  # monotonic times of DX067
        self.failed: list[str] = []

    def run(self) -> None:
        legs = json.dumps(
            [
                {"account": "A1", "side": "debit", "amount": "1.00", "ccy": "EUR"},
                {"account": "B1", "side": "credit", "amount": "1.00", "ccy": "EUR"},
            ]
        )
        with psycopg.connect(as_role(self.proxy, SERVICE_ROLE)) as conn:
            conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
            n = 0
            while not self.stop.is_set():
                n += 1
                try:
                    with conn.transaction():
                        conn.execute(
                            "SELECT set_config('role', %s, true),"
                            " set_config('doublex.api_key', %s, true)",
                            [API_ROLE, self.key],
                        )
                        conn.execute(
                            "SELECT ledger.post_journal(%s, %s)", [f"p-{n}-{time.time()}", legs]
                        )
                    self.ok += 1
                except psycopg.Error as exc:
                    if exc.sqlstate == "DX067":
                        self.refused.append(time.monotonic())
                        time.sleep(0.01)
                    else:
                        self.failed.append(f"{exc.sqlstate}: {exc}")


def main(argv: Sequence[str]) -> int:
    args = parse(argv)
    with tempfile.TemporaryDirectory(prefix="doublex-move-bench-") as folder:
        clusters = [start_cluster(Path(folder) / f"shard{k}") for k in (0, 1)]
        try:
            shard_dsns = [cluster.dsn() for cluster in clusters]
            for dsn in shard_dsns:
                migrate.apply(dsn)
            clusters[0].ensure_database("doublex_proxy")
            proxy = clusters[0].dsn("doublex_proxy")
            shards.generate(proxy, shard_dsns, 4)
            homes = placement(proxy, 4)
            source = homes[MOVER]
            say(f"seeding {args.legs:,} legs of {MOVER} on shard {source}")
            started = time.monotonic()
            keys = seed(proxy, shard_dsns[source], args.accounts, args.legs)
            say(f"seeded in {time.monotonic() - started:.1f} s")
            mover, neighbour = Poster(proxy, keys[MOVER]), Poster(proxy, keys[NEIGHBOUR])
            mover.start()
            neighbour.start()
            time.sleep(1)
            started = time.monotonic()
            report = tenant_move.move_tenant(
                proxy, shard_dsns, MOVER, 1 - source, progress=lambda p: say(f"  {p}")
            )
            elapsed = time.monotonic() - started
            time.sleep(1)
            for poster in (mover, neighbour):
                poster.stop.set()
                poster.join()
        finally:
            for cluster in clusters:
                cluster.stop()
    refused_window = mover.refused[-1] - mover.refused[0] if mover.refused else 0.0
    result: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "legs_seeded": args.legs,
        "rows_moved": report.total_rows,
        "legs_moved": report.rows.get("leg", 0),
        "bulk_copy_s": round(report.bulk_seconds, 2),
        "catch_up_s": round(report.catch_up_seconds, 2),
        "seals_before_fence_s": round(report.seals_seconds, 2),
        "fenced_s": round(report.fenced_seconds, 3),
        "fenced_last_pass_s": round(report.final_copy_seconds, 3),
        "fenced_verify_s": round(report.verify_seconds, 3),
        "copy_s": round(report.bulk_seconds + report.catch_up_seconds + report.fenced_seconds, 2),
        "rows_per_s": round(report.total_rows / report.bulk_seconds) if report.bulk_seconds else 0,
        "refused_writes": len(mover.refused),
        "refused_window_s": round(refused_window, 3),
        "mover_failed": len(mover.failed),
        "mover_ok": mover.ok,
        "neighbour_ok": neighbour.ok,
        "neighbour_failed": len(neighbour.failed),
        "source_cleared_s": round(report.delete_seconds, 2),
        "move_total_s": round(elapsed, 2),
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "tenant-move.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = [
        "# Moving a tenant between shards (make bench-move)",
        "",
        f"{result['at']}, {args.legs:,} legs seeded, one client of the tenant and one of a "
        "neighbour on its shard posting through the proxy during the move.",
        "",
        "| measure | value |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in result.items() if k != "at"],
        "",
        "Bars (#20): copy of 1M legs ≤ 60 s, refused writes ≤ 2 s, the neighbour 0 failed.",
    ]
    (RESULTS_DIR / "tenant-move.md").write_text("\n".join(lines) + "\n")
    say("\n".join(lines))
    if neighbour.failed or mover.failed:
        say(f"failures: {(neighbour.failed + mover.failed)[:3]}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
