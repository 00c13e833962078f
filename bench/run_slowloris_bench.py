"""Slow-loris benchmark: does a normal client still post quickly while 1,000 connections
dribble their headers?

    .venv/bin/python bench/run_slowloris_bench.py                 # 1,000 slow connections
    .venv/bin/python bench/run_slowloris_bench.py --seconds 10    # a quicker look

Steps: start or reuse the local cluster (DOUBLEX_DSN when set), recreate the database
`doublex_slowloris_bench`, migrate it, open two EUR accounts, and serve it with
`doublex serve` at its default time limits (DOUBLEX_HEADER_TIMEOUT 10 s,
DOUBLEX_CONNECTIONS_PER_CLIENT 64). Then a normal client on 127.0.0.1 posts transfers one
after another on a keep-alive connection, and its latency is measured in three phases:

- `baseline`: no attacker;
- `one address`: --connections slow connections all from 127.0.0.2 (the per-address cap
  refuses all but 64; the attacker reconnects 1 s after each refusal or close);
- `spread`: the same number spread over --addresses loopback addresses (127.0.1.x), each
  under the cap, so the server holds them all until the header timeout closes them (and
  they reconnect).

A slow connection sends a request line and one header, then one more header line every
--drip seconds, and never ends its headers. The attacker runs in its own process, so its
event loop does not slow the measuring client. One table goes to the terminal and to
bench/results/slowloris-bench.md and .json. The bar: the normal client's p95 ≤ 50 ms in
every phase, and every one of its transfers answered 201. Exit status 2 with --strict when
the bar fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from doublex import config, migrate
from doublex.cli.common import admin_dsn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from support.http import create_key
from support.serving import Service

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DATABASE = "doublex_slowloris_bench"
BAR_P95_MS = 50.0


@dataclass
class Phase:
    name: str
    attackers: int
    addresses: int
    posts: int
    failed: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    slow_connections_opened: int
    slow_connections_cut: int


def with_dbname(dsn: str, dbname: str) -> str:
    params = {k: v for k, v in conninfo_to_dict(dsn).items() if v is not None}
    params["dbname"] = dbname
    return make_conninfo(**params)  # type: ignore[arg-type]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


async def slow_connection(
    port: int, source: str, drip: float, stop_at: float, counts: dict[str, int]
) -> None:
    """Open, dribble headers until the server closes, reconnect 1 s later; until stop_at."""
    while time.monotonic() < stop_at:
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=(source, 0)
            )
        except OSError:
            await asyncio.sleep(1)
            continue
        counts["opened"] += 1
        try:
            writer.write(b"POST /api/transfers HTTP/1.1\r\nHost: bench\r\n")
            while time.monotonic() < stop_at:
                await writer.drain()
                try:
                    if await asyncio.wait_for(reader.read(1), timeout=drip) == b"":
                        break  # closed by the server
                except TimeoutError:
                    writer.write(b"X-Slow: 1\r\n")
            else:
                writer.close()
                return
        except OSError:
            pass
        counts["cut"] += 1
        writer.close()
        await asyncio.sleep(1)


def attack(
    port: int, connections: int, sources: list[str], drip: float, seconds: float, out: str
) -> None:
    """The attacker process: `connections` slow connections over `sources`."""

    async def main() -> dict[str, int]:
        counts = {"opened": 0, "cut": 0}
        stop_at = time.monotonic() + seconds
        await asyncio.gather(
            *(
                slow_connection(port, sources[i % len(sources)], drip, stop_at, counts)
                for i in range(connections)
            )
        )
        return counts

    Path(out).write_text(json.dumps(asyncio.run(main())))


async def post_for(base: str, token: str, seconds: float, tag: str) -> tuple[list[float], int]:
    """A normal client with the API key `token`: one transfer after another for `seconds`;
    (latencies ms, failures)."""
    latencies: list[float] = []
    failed = 0
    legs = [
        {"account": "A", "side": "debit", "amount": "1.00", "ccy": "EUR"},
        {"account": "B", "side": "credit", "amount": "1.00", "ccy": "EUR"},
    ]
    timeout = aiohttp.ClientTimeout(total=10)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(timeout=timeout, headers=headers) as session:
        stop_at = time.monotonic() + seconds
        n = 0
        while time.monotonic() < stop_at:
            n += 1
            started = time.perf_counter()
            try:
                async with session.post(
                    f"{base}/api/transfers", json={"idempotency_key": f"{tag}-{n}", "legs": legs}
                ) as response:
                    await response.read()
                    ok = response.status == 201
            except (aiohttp.ClientError, TimeoutError):
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                failed += 1
    return latencies, failed


def phase(
    name: str,
    service: Service,
    token: str,
    attackers: int,
    sources: list[str],
    opts: argparse.Namespace,
) -> Phase:
    port = int(service.base.rsplit(":", 1)[1])
    counts = {"opened": 0, "cut": 0}
    attacker = None
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        if attackers:
            attacker = multiprocessing.Process(
                target=attack,
                args=(port, attackers, sources, opts.drip, opts.seconds + 3, out.name),
            )
            attacker.start()
            time.sleep(3)  # let the slow connections pile up before measuring
        latencies, failed = asyncio.run(post_for(service.base, token, opts.seconds, name))
        if attacker is not None:
            attacker.join()
            counts = json.loads(Path(out.name).read_text())
    return Phase(
        name,
        attackers,
        len(sources),
        len(latencies),
        failed,
        round(percentile(latencies, 50), 2),
        round(percentile(latencies, 95), 2),
        round(percentile(latencies, 99), 2),
        round(max(latencies), 2),
        counts["opened"],
        counts["cut"],
    )


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--addresses", type=int, default=100, help="of the spread phase")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured, per phase")
    parser.add_argument("--drip", type=float, default=5.0, help="seconds between header lines")
    parser.add_argument("--strict", action="store_true", help="exit 2 when the bar fails")
    return parser.parse_args(argv)


def fresh_database(database: str) -> str:
    """Drop and create `database` on the local cluster (or DOUBLEX_DSN's server), migrate
    it, and answer its admin DSN."""
    server = admin_dsn()
    admin = with_dbname(server, database)
    with psycopg.connect(server, autocommit=True) as conn:
        name = sql.Identifier(database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
    migrate.apply(admin)
    return admin


def main(argv: list[str]) -> int:
    opts = parse(argv)
    admin = fresh_database(DATABASE)
    with psycopg.connect(admin) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        for code in ("A", "B"):
            conn.execute("SELECT ledger.create_account(%s, %s, 'EUR')", (code, code))
    settings = config.load()
    log = Path(tempfile.mkdtemp(prefix="doublex-slowloris-")) / "serve.log"
    token = create_key(admin, capabilities=["post"])["token"]
    service = Service(config.as_service_role(admin), log, LOG_LEVEL="WARNING")
    service.start()
    try:
        spread = [f"127.0.1.{i + 1}" for i in range(opts.addresses)]
        phases = [
            phase("baseline", service, token, 0, [], opts),
            phase("one address", service, token, opts.connections, ["127.0.0.2"], opts),
            phase("spread", service, token, opts.connections, spread, opts),
        ]
    finally:
        service.stop()
    met = all(p.p95_ms <= BAR_P95_MS and p.failed == 0 for p in phases)
    lines = [
        "# Slow-loris benchmark (`bench/run_slowloris_bench.py`)",
        "",
        f"{datetime.now(UTC).isoformat(timespec='seconds')}, {os.cpu_count()} CPUs,"
        f" {platform.python_version()}; `doublex serve` at its defaults (header timeout"
        f" {settings.header_timeout:g} s, {settings.connections_per_client} connections per"
        f" client address); a normal client posts transfers one after another for"
        f" {opts.seconds:g} s per phase; slow connections send a header line every"
        f" {opts.drip:g} s and reconnect 1 s after being closed.",
        "",
        "| phase | slow connections | from addresses | transfers | failed | p50 ms | p95 ms"
        " | p99 ms | max ms | slow opened | slow cut |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {p.name} | {p.attackers:,} | {p.addresses} | {p.posts:,} | {p.failed} |"
            f" {p.p50_ms} | {p.p95_ms} | {p.p99_ms} | {p.max_ms} |"
            f" {p.slow_connections_opened:,} | {p.slow_connections_cut:,} |"
            for p in phases
        ),
        "",
        f"Bar: the normal client's p95 ≤ {BAR_P95_MS:g} ms and no failed transfer in every"
        f" phase — {'met' if met else 'NOT met'}.",
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "slowloris-bench.md").write_text(report)
    (RESULTS_DIR / "slowloris-bench.json").write_text(
        json.dumps({"phases": [asdict(p) for p in phases], "bar_met": met}, indent=2) + "\n"
    )
    return 2 if opts.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
