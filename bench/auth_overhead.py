"""What authentication costs the REST service: the same service with auth on and off, one run.

    .venv/bin/python bench/auth_overhead.py                 # make bench-auth
    .venv/bin/python bench/auth_overhead.py --rounds 2 --seconds 5 --clients 32
    .venv/bin/python bench/auth_overhead.py --micro         # the Python CPU steps only

Steps: start or reuse the local cluster (DOUBLEX_DSN when set), drop and recreate the
database `doublex_auth_bench`, migrate it, open ACCOUNTS accounts, make an API key of tenant
`default` (read, post). Then serve it twice on free ports of 127.0.0.1, one process each,
same pool size:

- **on**: as `doublex serve` serves it: the service role, acting as doublex_api with the
  request's key (`Authorization: Bearer`); the ledger verifies the key in every transaction;
- **off**: the same app built with `create_app(..., authenticate=False)` (a factory argument
  only this runner passes: no environment variable or option reaches it) on a Ledger of the
  SQL login doublex_app, which the ledger resolves from its session (tenant `default`): no
  header is read, no role is switched, no key is hashed or looked up.

Rounds alternate on and off (on, off, off, on, …) so drift of a shared machine hits both;
before each, the balances are rolled up (as the service does every few seconds), so that
neither mode reads more unfolded legs than the other. Each round drives `--clients`
concurrent keep-alive clients (aiohttp, in a process of its own) posting transfers between
random accounts, and a GET of a balance every
`--read-every` request, for `--seconds`; it counts the 2xx answers (anything else fails the
run) and reads the CPU time of the serving process (Python) and of the PostgreSQL server
(the ledger's share of the key check) around it. The report gives, per mode, the median
requests per second and CPU ms per request, and the median over the rounds of each round's
on-against-off difference: the bars are ≤ 5% throughput and ≤ 0.05 ms of service CPU per
request (reported, not enforced). On a shared machine one round's difference swings by
tens of percent either way (two identical "on" services differ as much), so it also
measures the auth step alone: the Python CPU it adds to a request (`time.process_time` over
a loop of the middleware's parse, the ContextVar and the runner's who-acts statement) and
the time of `ledger_private.authorize` with a key in PostgreSQL (a PL/pgSQL loop).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from run_api_bench import bench_dsns, postmaster_pid, seed, tree_cpu_ms

from doublex import config, localdb, migrate
from doublex.observe import wait_http

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
DATABASE = "doublex_auth_bench"
BAR_THROUGHPUT_LOSS = 0.05
BAR_CPU_MS = 0.05


# -- the two services (`--serve on|off`, started by this runner) -----------------------------


def serve(mode: str, dsn: str, port: int, pool_max: int) -> None:
    from aiohttp import web

    from doublex import logs
    from doublex.api import create_app
    from doublex.db import Ledger

    logs.configure()
    act_as = config.API_ROLE if mode == "on" else None
    ledger = Ledger(dsn, min_size=pool_max, max_size=pool_max, act_as=act_as)
    app = create_app(ledger, migrations=migrate.known(), authenticate=mode == "on")

    async def lifecycle(app: web.Application) -> Any:
        await ledger.open()
        yield
        await ledger.close()

    app.cleanup_ctx.append(lifecycle)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


# -- the load (`--drive`, a process of its own) ----------------------------------------------


async def drive(
    base: str, key: str, clients: int, seconds: float, accounts: int, read_every: int
) -> dict[str, Any]:
    import aiohttp

    headers = {"Authorization": f"Bearer {key}"}
    codes = [f"A{n:04d}" for n in range(1, accounts + 1)]
    done = 0
    failures: list[str] = []
    deadline = time.monotonic() + seconds

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal done
        count = 0
        while time.monotonic() < deadline:
            count += 1
            if read_every and count % read_every == 0:
                response = await session.get(
                    f"{base}/api/accounts/{random.choice(codes)}/balance", headers=headers
                )
            else:
                debit, credit = random.sample(codes, 2)
                body = {
                    "idempotency_key": uuid.uuid4().hex,
                    "legs": [
                        {"account": debit, "side": "debit", "amount": "1.00", "ccy": "EUR"},
                        {"account": credit, "side": "credit", "amount": "1.00", "ccy": "EUR"},
                    ],
                }
                response = await session.post(f"{base}/api/transfers", json=body, headers=headers)
            await response.read()
            if 200 <= response.status < 300:
                done += 1
            else:
                failures.append(f"{response.status}")

    connector = aiohttp.TCPConnector(limit=clients)
    started = time.monotonic()
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    return {
        "requests": done,
        "seconds": time.monotonic() - started,
        "failures": failures[:20],
        "failed": len(failures),
    }


# -- the runner -------------------------------------------------------------------------------


@contextmanager
def serving(mode: str, dsn: str, pool_max: int, log: Path) -> Iterator[tuple[str, int]]:
    port = localdb.free_port()
    env = os.environ | {"LOG_LEVEL": "WARNING"}
    command = [sys.executable, __file__, "--serve", mode, "--dsn", dsn, "--port", str(port),
               "--pool-max", str(pool_max)]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/api/health", process, 30, log)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def python_auth_us(token: str, loops: int = 200_000) -> float:
    """Microseconds of Python CPU the auth step adds to a request: the middleware's header
    parse and ContextVar set/reset, and the runner's choice of the statement that says who
    acts (with the key instead of without)."""
    from aiohttp.test_utils import make_mocked_request

    from doublex.api import auth
    from doublex.db import Ledger
    from doublex.db.principal import PRINCIPAL

    request = make_mocked_request(
        "GET", "/api/accounts", headers={"Authorization": f"Bearer {token}"}
    )
    keyed = Ledger("", act_as=config.API_ROLE)
    plain = Ledger("")

    def with_auth() -> None:
        reset = PRINCIPAL.set(auth.bearer_token(request))
        keyed._who(False)
        PRINCIPAL.reset(reset)

    def without() -> None:
        plain._who(False)

    def cpu(step: Any) -> float:
        started = time.process_time()
        for _ in range(loops):
            step()
        return (time.process_time() - started) / loops * 1e6

    return min(cpu(with_auth) for _ in range(3)) - min(cpu(without) for _ in range(3))


def rate_limit_us(token: str, loops: int = 200_000) -> float:
    """Microseconds of Python CPU the per-key rate limit adds to a request whose key's limit
    the worker holds (every request but one per key and DOUBLEX_KEY_RATE_SECONDS): the keyed
    hash of the token, the bucket lookup, the LRU move and the token taken
    (api/rate_limit.py, `KeyBuckets.admit` driven without an event loop: it awaits nothing
    on this path)."""
    from doublex.api.rate_limit import KeyBuckets
    from doublex.db import Ledger

    buckets = KeyBuckets(refresh_seconds=1e9, size=10_000)
    limit = {"key_id": token.partition(".")[0], "requests_per_second": 10**9, "burst": 10**9}
    buckets._store(limit, buckets._digest(token), buckets.clock())
    unused = Ledger("")  # never called on this path

    def admit() -> None:
        with suppress(StopIteration):
            buckets.admit(unused, token).send(None)

    def cpu() -> float:
        started = time.process_time()
        for _ in range(loops):
            admit()
        return (time.process_time() - started) / loops * 1e6

    return min(cpu() for _ in range(3))


def micro(token: str) -> str:
    """The auth step's and the rate limit's Python CPU per request, without a database."""
    auth_us, rate_us = python_auth_us(token), rate_limit_us(token)
    return (
        f"Python CPU per request (time.process_time over 200,000 loops, best of 3): auth step "
        f"{auth_us:.2f} µs, per-key rate limit {rate_us:.2f} µs, together "
        f"{(auth_us + rate_us) / 1000:.4f} ms (bar ≤ {BAR_CPU_MS} ms)"
    )


def authorize_us(admin: str, token: str, loops: int = 20_000) -> float:
    """Microseconds of PostgreSQL CPU per ledger_private.authorize with a key (the check
    every transaction of a keyed request makes), in a PL/pgSQL loop."""
    loop = sql.SQL(
        "DO $$ BEGIN FOR i IN 1..{} LOOP"
        " PERFORM ledger_private.authorize('read', NULL); END LOOP; END $$"
    ).format(sql.Literal(loops))
    with psycopg.connect(admin) as conn:
        conn.execute("SELECT set_config('doublex.api_key', %s, true)", (token,))
        started = time.perf_counter()
        conn.execute(loop)
        elapsed = time.perf_counter() - started
        conn.rollback()
    return elapsed / loops * 1e6


def roll_up(admin: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT ledger.roll_up_balances('default')")


def one_round(
    base: str, pid: int, pg: int | None, key: str, opts: argparse.Namespace
) -> dict[str, Any]:
    command = [
        sys.executable, __file__, "--drive", base, "--key", key, "--clients", str(opts.clients),
        "--seconds", str(opts.seconds), "--accounts", str(opts.accounts),
        "--read-every", str(opts.read_every),
    ]  # fmt: skip
    roll_up(opts.admin)  # as the service does every few seconds: reads stay short
    service_before = tree_cpu_ms(pid)
    db_before = tree_cpu_ms(pg) if pg else 0.0
    done = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=opts.seconds + 120
    )
    result: dict[str, Any] = json.loads(done.stdout)
    requests = max(1, result["requests"])
    result["rps"] = result["requests"] / result["seconds"]
    result["service_cpu_ms"] = (tree_cpu_ms(pid) - service_before) / requests
    result["db_cpu_ms"] = ((tree_cpu_ms(pg) - db_before) / requests) if pg else None
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=4, help="rounds per mode (alternating)")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per round")
    parser.add_argument("--warmup", type=float, default=3.0, help="discarded seconds per mode")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument(
        "--read-every", type=int, default=4, help="every n-th request reads a balance (0: none)"
    )
    parser.add_argument("--pool-max", type=int, default=10)
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    parser.add_argument(
        "--micro", action="store_true", help="only the Python CPU of the auth step and rate limit"
    )
    parser.add_argument("--serve", choices=["on", "off"], help=argparse.SUPPRESS)
    parser.add_argument("--dsn", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    opts = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if opts.serve:
        serve(opts.serve, opts.dsn, opts.port, opts.pool_max)
        return 0
    if opts.micro:
        print(micro("dxk_0123456789ab." + "0" * 64))
        return 0
    if opts.drive:
        result = asyncio.run(
            drive(opts.drive, opts.key, opts.clients, opts.seconds, opts.accounts, opts.read_every)
        )
        print(json.dumps(result))
        return 0

    dsns = bench_dsns(DATABASE)
    print(f"preparing {DATABASE}: migrate, {opts.accounts} accounts, a key …", flush=True)
    key = seed(dsns, DATABASE, opts.accounts, "EUR", "auth-bench")
    pg = postmaster_pid(dsns)
    opts.admin = dsns.admin
    opts.results_dir.mkdir(parents=True, exist_ok=True)
    log = Path(tempfile.mkdtemp(prefix="doublex-auth-bench-")) / "serve.log"
    log.write_text("")
    rounds: dict[str, list[dict[str, Any]]] = {"on": [], "off": []}
    order = [("on", "off") if n % 2 == 0 else ("off", "on") for n in range(opts.rounds)]
    dsn = {"on": config.as_service_role(dsns.admin), "off": dsns.app}
    with (
        serving("on", dsn["on"], opts.pool_max, log) as on,
        serving("off", dsn["off"], opts.pool_max, log) as off,
    ):
        servers = {"on": on, "off": off}
        for mode in ("on", "off"):
            warm = argparse.Namespace(**{**vars(opts), "seconds": opts.warmup})
            one_round(*servers[mode], pg, key, warm)
        for number, pair in enumerate(order, 1):
            for mode in pair:
                result = one_round(*servers[mode], pg, key, opts)
                if result["failed"]:
                    print(f"round {number} {mode}: {result['failed']} failed: {result['failures']}")
                    return 1
                rounds[mode].append(result)
                db = f", db {result['db_cpu_ms']:.3f}" if result["db_cpu_ms"] is not None else ""
                rps, service_cpu = result["rps"], result["service_cpu_ms"]
                print(
                    f"round {number} auth {mode:>3}: {rps:7.1f} req/s, "
                    f"CPU ms/req service {service_cpu:.3f}{db}",
                    flush=True,
                )
    summary = {
        mode: {
            "rps": statistics.median(r["rps"] for r in results),
            "service_cpu_ms": statistics.median(r["service_cpu_ms"] for r in results),
            "db_cpu_ms": statistics.median(r["db_cpu_ms"] for r in results) if pg else None,
        }
        for mode, results in rounds.items()
    }
    # Per round (its on and off ran back to back): the shared machine's drift between rounds
    # is larger than the effect, so the verdict is the median of the rounds' differences.
    pairs = list(zip(rounds["on"], rounds["off"], strict=True))
    losses = sorted(1 - on["rps"] / off["rps"] for on, off in pairs)
    loss = statistics.median(losses)
    cpu = statistics.median(on["service_cpu_ms"] - off["service_cpu_ms"] for on, off in pairs)
    db_cpu = (
        statistics.median(on["db_cpu_ms"] - off["db_cpu_ms"] for on, off in pairs) if pg else None
    )
    command = " ".join(
        [".venv/bin/python bench/auth_overhead.py", *(sys.argv[1:] if argv is None else argv)]
    )
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        "# Authentication overhead (bench/auth_overhead.py)",
        "",
        f"`{command}`: {opts.clients} clients, {opts.rounds} rounds of {opts.seconds:g} s per "
        f"mode, alternating; every {opts.read_every}th request a balance read, the rest "
        f"transfers; pool {opts.pool_max}; {os.cpu_count()} CPUs, load average {load}.",
        "",
        "| auth | req/s (median) | service CPU ms/req | PostgreSQL CPU ms/req |",
        "|---|---:|---:|---:|",
    ]
    for mode in ("off", "on"):
        s = summary[mode]
        db = f"{s['db_cpu_ms']:.3f}" if s["db_cpu_ms"] is not None else "n/a"
        lines.append(f"| {mode} | {s['rps']:.1f} | {s['service_cpu_ms']:.3f} | {db} |")
    verdict = lambda ok: "PASS" if ok else "FAIL"  # noqa: E731
    lines += [
        "",
        f"- throughput cost of authentication, median of the rounds: {loss * 100:.1f}% "
        f"(rounds from {losses[0] * 100:.1f}% to {losses[-1] * 100:.1f}%; "
        f"bar ≤ {BAR_THROUGHPUT_LOSS * 100:g}%: {verdict(loss <= BAR_THROUGHPUT_LOSS)})",
        f"- service CPU per request, median of the rounds: {cpu:+.3f} ms "
        f"(bar ≤ {BAR_CPU_MS} ms: {verdict(cpu <= BAR_CPU_MS)})",
    ]
    lines += [
        f"- Python CPU of the auth step alone (header parse, ContextVar, who-acts statement; "
        f"`time.process_time` over 200,000 loops): {python_auth_us(key):.2f} µs per request",
        f"- Python CPU of the per-key rate limit alone (keyed hash, bucket, LRU, one token; "
        f"`time.process_time` over 200,000 loops): {rate_limit_us(key):.2f} µs per request",
        f"- PostgreSQL time of `ledger_private.authorize` with a key (PL/pgSQL loop of "
        f"20,000): {authorize_us(dsns.admin, key):.1f} µs per transaction",
    ]
    if db_cpu is not None:
        lines.append(
            f"- PostgreSQL CPU per request (the key check in the ledger): {db_cpu:+.3f} ms"
        )
    markdown = "\n".join(lines) + "\n"
    (opts.results_dir / "auth-overhead.md").write_text(markdown)
    (opts.results_dir / "auth-overhead.json").write_text(
        json.dumps({"summary": summary, "rounds": rounds}, indent=1)
    )
    print("\n" + markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
