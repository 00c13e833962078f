"""Reconciliation under concurrency: runs of one account and date, and imports of one file,
racing on many connections. Losers of a race retry (40001) and never duplicate anything."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import psycopg

from doublex.db import Ledger
from support.dates import day
from support.invariants import assert_ledger_invariants
from support.recon import BANK, open_books, post_bank

DAY = day("2026-11-20")


def statement(count: int) -> list[tuple[int, str, str, str, None, None, None, int]]:
    return [
        (n + 2, DAY.isoformat(), f"R{n}", f"{n + 1}.00", None, None, None, 0) for n in range(count)
    ]


async def test_concurrent_runs_and_imports(ledger: Ledger, app_dsn: str, admin_dsn: str) -> None:
    open_books(app_dsn)
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        for n in range(0, 40, 2):  # every other line has its journal
            post_bank(conn, f"k{n}", Decimal(n + 1), f"R{n}", DAY)
    rows = statement(40)
    imports = await asyncio.gather(
        *(ledger.import_statement(BANK, rows, "s.csv") for _ in range(6))
    )
    assert sorted(r["status"] for r in imports) == ["duplicate"] * 5 + ["imported"]
    assert {r["import_id"] for r in imports} == {imports[0]["import_id"]}

    runs = await asyncio.gather(*(ledger.recon_run(BANK, DAY) for _ in range(8)))
    assert {(r["matched"], r["missing_in_ledger"], r["missing_in_bank"]) for r in runs} == {
        (20, 20, 0)
    }
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM ledger_private.statement_line),"
            "       (SELECT count(*) FROM ledger_private.recon_outcome),"
            "       (SELECT count(*) FROM ledger_private.recon_run),"
            "       (SELECT count(DISTINCT run_id) FROM ledger_private.recon_outcome)"
        ).fetchone()
    assert counts == (40, 40, 8, 1)  # every run logged, one current result, no duplicates
    assert_ledger_invariants(admin_dsn)
