"""A throwaway PgBouncer in front of the bench database, for `run_sql_bench.py`.

DoubleX is deployed with a transaction-mode pooler between many SQL clients and the server
(README, "Connection pooling"): PostgreSQL runs one process per connection, and on a small
machine 64 busy processes evict each other's caches. The pooled benchmark path measures
that deployment: pgbench's clients connect here, and PgBouncer multiplexes their
transactions over at most `pool_size` server connections.

Every scenario gets a database alias of its own, so session settings that pgbench would
pass in PGOPTIONS (which PgBouncer cannot forward) are set once per server connection with
`connect_query`, and scenarios never share a server connection with different settings.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict

from doublex import localdb

# PgBouncer's own default: the pool a deployment gets without tuning.
DEFAULT_POOL_SIZE = 20
START_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Pooler:
    host: str
    port: int
    pool_size: int
    version: str


def pgbouncer_binary() -> str:
    """PgBouncer lives in /usr/sbin on Debian, which is not on every user's PATH."""
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin:/usr/bin")
    if not found:
        raise SystemExit("pgbouncer not found: install it (make deps), or run --via direct")
    return found


def pgbouncer_version(binary: str) -> str:
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.splitlines()[0].strip() if done.stdout else "unknown"


def _quote(value: str) -> str:
    """A value of PgBouncer's ini format: single quotes, doubled inside."""
    return "'" + value.replace("'", "''") + "'"


def render_ini(
    server_dsn: str,
    aliases: Mapping[str, Sequence[str]],
    port: int,
    pool_size: int,
    folder: Path,
) -> str:
    """The configuration: one alias per scenario (its SET statements as connect_query)."""
    server = conninfo_to_dict(server_dsn)
    target = f"host={server.get('host', '127.0.0.1')} port={server.get('port', '5432')}"
    target += f" dbname={server['dbname']}"
    databases = []
    for alias, statements in aliases.items():
        line = f"{alias} = {target}"
        if statements:
            line += " connect_query=" + _quote("; ".join(statements))
        databases.append(line)
    return "\n".join(
        [
            "[databases]",
            *databases,
            "",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            f"listen_port = {port}",
            "unix_socket_dir =",
            # The server authenticates the bench's role as it does direct connections.
            "auth_type = trust",
            f"auth_file = {folder / 'users.txt'}",
            "pool_mode = transaction",
            f"default_pool_size = {pool_size}",
            "max_client_conn = 1000",
            f"logfile = {folder / 'pgbouncer.log'}",
            "",
        ]
    )


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"pgbouncer exited {process.returncode}: {_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"pgbouncer did not listen on 127.0.0.1:{port}: {_tail(log)}")


def _tail(log: Path) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").splitlines()[-5:])
    except OSError:
        return "(no log)"


def _service_ids() -> tuple[int, int] | None:
    """PgBouncer refuses to run as root: it then runs as the cluster's service user
    (uid, gid); None when we are not root."""
    if os.geteuid() != 0:
        return None
    localdb.ensure_service_user()
    entry = pwd.getpwnam(localdb.SERVICE_USER)
    return entry.pw_uid, entry.pw_gid


@contextmanager
def pgbouncer(
    server_dsn: str, aliases: Mapping[str, Sequence[str]], pool_size: int = DEFAULT_POOL_SIZE
) -> Iterator[Pooler]:
    """Run PgBouncer for the duration of the block; it forwards to server_dsn's server."""
    binary = pgbouncer_binary()
    user = str(conninfo_to_dict(server_dsn)["user"])
    port = localdb.free_port()
    ids = _service_ids()
    with tempfile.TemporaryDirectory(prefix="doublex-pgbouncer-") as tmp:
        folder = Path(tmp)
        (folder / "pgbouncer.ini").write_text(
            render_ini(server_dsn, aliases, port, pool_size, folder)
        )
        (folder / "users.txt").write_text(f'"{user}" ""\n')
        if ids:
            for path in (folder, *folder.iterdir()):
                os.chown(path, *ids)
        log = folder / "pgbouncer.log"
        process = subprocess.Popen(
            [binary, str(folder / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user=ids[0] if ids else None,
            group=ids[1] if ids else None,
            extra_groups=[] if ids else None,
        )
        try:
            _wait_until_listening(port, process, log)
            yield Pooler("127.0.0.1", port, pool_size, pgbouncer_version(binary))
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
