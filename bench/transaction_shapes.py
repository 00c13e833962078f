"""What the shape of a posting transaction costs the client and the server (issue #19's
per-request CPU): the same `ledger.post_journal` sent three ways, one connection, in turn.

    .venv/bin/python bench/transaction_shapes.py              # 3 rounds of 2,000 each
    .venv/bin/python bench/transaction_shapes.py --rounds 2 --count 500

- **plain**: BEGIN, who acts, the call, COMMIT, one round trip each (psycopg's
  `transaction()`; the call prepared by psycopg after a few executions);
- **pipelined**: the same statements in pipeline mode (as `Runner.statements` sends every
  Ledger call today, `shell/doublex/db/runner.py`);
- **script**: one simple-protocol string `BEGIN …; who; call; COMMIT` with the parameters
  bound client-side (`AsyncClientCursor`): one write and one read per transaction.

Per transaction it reports wall time, the client's CPU (`time.process_time`) and the
server backend's CPU (`/proc/<pid>/stat`, so the server must be local). The database is
the SQL benchmark's (`run_sql_bench.prepare`, 20,000 seed journals). Report:
bench/results/transaction-shapes.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import run_sql_bench as sql
from psycopg import AsyncClientCursor, AsyncConnection, IsolationLevel

RESULTS = Path(__file__).resolve().parent / "results" / "transaction-shapes.md"
WHO = "SELECT set_config('doublex.api_key', '', true), set_config('doublex.actor', %(actor)s, true)"
CALL = "SELECT * FROM ledger.post_journal(idempotency_key => %(key)s, legs => %(legs)s::jsonb)"


def params(n: int) -> dict[str, str]:
    legs = [
        {"account": f"A{1 + n % 900:04d}", "side": "debit", "amount": "1.00", "ccy": "EUR"},
        {"account": "REVENUE", "side": "credit", "amount": "1.00", "ccy": "EUR"},
    ]
    return {"actor": "bench", "key": str(uuid.uuid4()), "legs": json.dumps(legs)}


async def plain(conn: AsyncConnection[Any], count: int) -> None:
    for n in range(count):
        values = params(n)
        async with conn.transaction():
            await conn.execute(WHO, values)
            await (await conn.execute(CALL, values)).fetchall()


async def pipelined(conn: AsyncConnection[Any], count: int) -> None:
    for n in range(count):
        values = params(n)
        async with conn.pipeline(), conn.transaction():
            await conn.execute(WHO, values)
            cursor = await conn.execute(CALL, values)
        await cursor.fetchall()


async def script(conn: AsyncConnection[Any], count: int) -> None:
    cursor = AsyncClientCursor(conn)
    text = f"BEGIN ISOLATION LEVEL SERIALIZABLE; {WHO}; {CALL}; COMMIT"
    for n in range(count):
        await cursor.execute(text, params(n))
        cursor.nextset()  # past BEGIN's and who acts' results, to the call's rows
        cursor.nextset()
        await cursor.fetchall()


SHAPES: dict[str, Callable[[AsyncConnection[Any], int], Awaitable[None]]] = {
    "plain": plain,
    "pipelined": pipelined,
    "script": script,
}


def backend_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(dsn: str, shape: str, count: int) -> tuple[float, float, float]:
    """(wall, client CPU, backend CPU) in ms per transaction."""
    conn = await AsyncConnection.connect(dsn, autocommit=shape == "script")
    async with conn:
        if shape != "script":
            await conn.set_isolation_level(IsolationLevel.SERIALIZABLE)
        pid = conn.info.backend_pid
        cpu, backend, wall = time.process_time(), backend_cpu_seconds(pid), time.perf_counter()
        await SHAPES[shape](conn, count)
        return tuple(  # type: ignore[return-value]
            1000 * spent / count
            for spent in (
                time.perf_counter() - wall,
                time.process_time() - cpu,
                backend_cpu_seconds(pid) - backend,
            )
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--count", type=int, default=2000, help="transactions per shape and round")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    prepared = sql.prepare(sql.parse_options(["--journals=20000", "--via=direct"]))
    dsn = prepared.dsns.admin
    samples: dict[str, list[tuple[float, float, float]]] = {shape: [] for shape in SHAPES}
    for _ in range(args.rounds):
        for shape in SHAPES:
            samples[shape].append(asyncio.run(measure(dsn, shape, args.count)))
            sql.say(f"  {shape:<9} " + " / ".join(f"{v:.3f}" for v in samples[shape][-1]))
    lines = [
        "# Posting transaction shapes: client and server CPU",
        "",
        f"`.venv/bin/python bench/transaction_shapes.py --rounds {args.rounds} --count "
        f"{args.count}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, one connection, hot account; "
        f"load average at end {sql.load_average()}. Medians over the rounds, ms per transaction.",
        "",
        "| shape | wall | client CPU | server backend CPU |",
        "|---|--:|--:|--:|",
    ]
    for shape, rows in samples.items():
        medians = [statistics.median(column) for column in zip(*rows, strict=True)]
        lines.append(f"| {shape} | " + " | ".join(f"{m:.3f}" for m in medians) + " |")
    RESULTS.write_text("\n".join(lines) + "\n")
    sql.say("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
