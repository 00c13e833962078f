"""What a tenant's copy must answer as on its source before `doublex shards move`
switches it (doublex.tenant_move): rows per table, Σ legs per account, currency and side,
the closes stored and every seal recomputed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
from psycopg import sql

from doublex.tenant_copy import Table

# By the tenant's accounts (index leg_account_history): it reads the tenant's legs, not the
# shard's.
LEG_SUMS = """
SELECT l.account_id, l.ccy, l.side, count(*), sum(l.amount) FROM ledger_private.leg AS l
 WHERE l.account_id IN (SELECT a.account_id FROM ledger_private.account AS a
                         WHERE a.tenant = %(tenant)s)
   AND l.tenant = %(tenant)s
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
"""
SEALS = "SELECT * FROM ledger.verify_seals(tenant => %s)"
CLOSES = "SELECT business_date, seal FROM ledger_private.day_close WHERE tenant = %s ORDER BY 1"


def counts(conn: psycopg.Connection[Any], tenant: str, tables: Sequence[Table]) -> dict[str, int]:
    result = {}
    for table in tables:
        row = conn.execute(
            sql.SQL("SELECT count(*) FROM ledger_private.{} WHERE {}").format(
                sql.Identifier(table.name), table.where(sql.Literal(tenant))
            )
        ).fetchone()
        assert row is not None
        result[table.name] = int(row[0])
    conn.commit()
    return result


def _both(
    source: psycopg.Connection[Any],
    target: psycopg.Connection[Any],
    read: Callable[[psycopg.Connection[Any]], Any],
) -> tuple[Any, Any]:
    """`read` on the source and on the target at once (two servers: half the wait)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        theirs, ours = pool.map(read, (source, target))
    return theirs, ours


def seal_differences(
    source: psycopg.Connection[Any], target: psycopg.Connection[Any], tenant: str
) -> list[str]:
    """The closes stored, and every seal recomputed (ledger.verify_seals), as on the source."""

    def read(conn: psycopg.Connection[Any]) -> tuple[Any, Any]:
        closes = conn.execute(CLOSES, [tenant]).fetchall()
        seals = conn.execute(SEALS, [tenant]).fetchall()
        conn.commit()
        return closes, seals

    (closes, seals), (copied, recomputed) = _both(source, target, read)
    problems = []
    if closes != copied:
        problems.append(f"day closes differ: source {closes[-3:]}, target {copied[-3:]}")
    if seals != recomputed:
        problems.append(f"seals recomputed differ: source {seals[:3]}, target {recomputed[:3]}")
    return problems


def differences(
    source: psycopg.Connection[Any],
    target: psycopg.Connection[Any],
    tenant: str,
    tables: Sequence[Table],
) -> tuple[list[str], dict[str, int]]:
    """What the target answers otherwise than the source: rows per table, Σ legs (count and
    amount) per account, currency and side, and the closes stored; the target's rows."""

    def read(conn: psycopg.Connection[Any]) -> tuple[Any, Any, Any]:
        rows = counts(conn, tenant, [t for t in tables if t.name != "leg"])
        sums = conn.execute(LEG_SUMS, {"tenant": tenant}).fetchall()
        closes = conn.execute(CLOSES, [tenant]).fetchall()
        conn.commit()
        return rows, sums, closes

    (theirs, sums, closes), (ours, copied, stored) = _both(source, target, read)
    problems = [
        f"{name}: {theirs[name]} rows on the source, {ours[name]} on the target"
        for name in theirs
        if theirs[name] != ours[name]
    ]
    if sums != copied:
        problems.append(f"Σ legs differ: source {len(sums)} groups, target {len(copied)}")
    if closes != stored:
        problems.append(f"day closes differ: source {closes[-3:]}, target {stored[-3:]}")
    ours["leg"] = sum(int(group[3]) for group in copied)
    return problems, {t.name: ours[t.name] for t in tables}


def closed_days(conn: psycopg.Connection[Any], tenant: str) -> list[Any]:
    closes = conn.execute(CLOSES, [tenant]).fetchall()
    conn.commit()
    return closes
