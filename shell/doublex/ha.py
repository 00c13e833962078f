"""High availability with pg_auto_failover: the local formation `doublex ha` manages.

A pg_auto_failover monitor and two data nodes (a primary and a synchronous standby) on
127.0.0.1, for development and tests; production runs the same three roles on three
machines (README, "High availability"). Replication, health checks and failover are
pg_auto_failover's own: this module only creates the nodes with `pg_autoctl create`, runs
their keepers (`pg_autoctl run`, one background process per node, started in a session of
its own so it outlives the command) and reads the monitor (`pg_autoctl show state|uri`).

pg_autoctl refuses to run as root, as PostgreSQL does: as root every command runs as the
unprivileged `doublex` user, as `doublex db start` does (doublex.localdb), and the
formation's files move under /var/tmp when that user cannot reach the checkout.

What the local formation decides (ARCHITECTURE.md, "High availability"):
- every server listens on 127.0.0.1 only (pg_autoctl's default is every address) and on a
  socket folder only the server's user can open; TLS is on (`--ssl-self-signed`) and the
  server's pg_hba.conf accepts TCP from 127.0.0.1 only; `--auth trust` on loopback is the
  local cluster's rule (doublex db start), never a production one;
- the data nodes are initialised by this module (the standby is a base backup of the
  primary, so it inherits them) with small memory settings in postgresql.auto.conf, which
  PostgreSQL reads after pg_autoctl's own tuning;
- the failover timeouts are tightened (MONITOR_SETTINGS, KEEPER_SETTINGS) so that the loss
  of a whole node, keeper included, ends in a promotion in about 13 s rather than 50; a
  postmaster killed under a live keeper is restarted by that keeper (crash recovery).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from doublex import localdb

HOST = "127.0.0.1"
FORMATION = "default"
NODES = ("node1", "node2")
DEFAULT_PORT_BASE = 54340  # the monitor; the nodes take the next two ports
# The states in which a data node is the formation's primary and accepts writes.
WRITABLE = frozenset({"single", "wait_primary", "primary"})

# The failover timeouts, tightened for one machine. pg_auto_failover's defaults fail over
# from a node lost with its keeper in about 50 s: its health checks (every 5 s, 5 s timeout,
# 2 retries 2 s apart) mark it unhealthy after 20 s, then the monitor waits
# primary_demote_timeout (30 s) for the lost primary to have demoted itself, which its
# keeper does when it has seen neither the monitor nor a standby for
# network_partition_timeout (20 s): the demote timeout must stay above it, or an isolated
# old primary could still be taking writes while the standby is promoted. (With the
# synchronous standby it could acknowledge none.) Here: checks every second, unhealthy
# after 4 s, an isolated keeper demotes its primary after 4 s, the monitor waits 8 s.
MONITOR_SETTINGS: Mapping[str, str] = {
    "pgautofailover.health_check_period": "1000",
    "pgautofailover.health_check_timeout": "2000",
    "pgautofailover.health_check_max_retries": "2",
    "pgautofailover.health_check_retry_delay": "500",
    "pgautofailover.node_considered_unhealthy_timeout": "4000",
    "pgautofailover.primary_demote_timeout": "8000",
}
KEEPER_SETTINGS: Mapping[str, str] = {"timeout.network_partition_timeout": "4"}

# Every server of the formation: loopback only, small memory (three servers share the
# machine), and its socket in the formation's private folder. PostgreSQL reads
# postgresql.auto.conf after postgresql.conf and pg_autoctl's include.
SERVER_SETTINGS: Mapping[str, str] = {
    "listen_addresses": f"'{HOST}'",
    "max_connections": "300",
    "shared_buffers": "'128MB'",
    "max_pred_locks_per_transaction": "256",
    "max_pred_locks_per_page": "8",
    "timezone": "'UTC'",
}
MONITOR_MEMORY: Mapping[str, str] = {"shared_buffers": "'32MB'", "max_connections": "50"}


class FormationError(RuntimeError):
    """The local formation could not be created, started, read or stopped."""


@dataclass(frozen=True)
class Node:
    """One server of the formation: the monitor or a data node."""

    name: str
    port: int
    data_dir: Path


@dataclass
class LocalFormation:
    """The monitor and the two data nodes whose files live under `root` (`.doublex/ha`)."""

    root: Path
    port_base: int
    bindir: Path
    dbname: str = localdb.DEFAULT_DATABASE

    # -- where things are ------------------------------------------------------------------

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    @property
    def home(self) -> Path:
        """The formation's files (resolved: under /var/tmp when relocated)."""
        return (self.root / "cluster").resolve()

    @property
    def monitor(self) -> Node:
        return Node("monitor", self.port_base, self.home / "monitor")

    @property
    def nodes(self) -> list[Node]:
        return [
            Node(name, self.port_base + 1 + i, self.home / name) for i, name in enumerate(NODES)
        ]

    @property
    def socket_dir(self) -> Path:
        return self.home / "run"

    def log_file(self, node: Node) -> Path:
        return self.home / f"{node.name}.log"

    def monitor_uri(self) -> str:
        return f"postgres://autoctl_node@{HOST}:{self.port_base}/pg_auto_failover?sslmode=require"

    # -- running pg_autoctl ----------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        """pg_autoctl keeps its configuration and state under XDG folders of the
        formation, and reaches its servers through the formation's socket folder."""
        return {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_DATA_HOME": str(self.home / "share"),
            "XDG_RUNTIME_DIR": str(self.home / "run"),
            "PGHOST": str(self.socket_dir),
            "PGUSER": localdb.SUPERUSER,
            "PATH": f"{self.bindir}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
        }

    def _command(self, program: str, *args: str) -> list[str]:
        environment = [f"{key}={value}" for key, value in self._environment().items()]
        cmd = ["env", *environment, program, *args]
        if self.as_root:
            return ["runuser", "-u", localdb.SERVICE_USER, "--", *cmd]
        return cmd

    def _run(self, program: str, *args: str, timeout: float = 120) -> str:
        try:
            result = subprocess.run(
                self._command(program, *args),
                capture_output=True,
                text=True,
                check=False,
                timeout=timeout,
                cwd=self.home,
            )
        except subprocess.TimeoutExpired as exc:
            raise FormationError(
                f"{Path(program).name} {args[0]} did not finish in {timeout:g} s"
            ) from exc
        if result.returncode != 0:
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
            raise FormationError(f"{Path(program).name} {' '.join(args[:2])} failed:\n{tail}")
        return result.stdout

    def autoctl(self, *args: str, timeout: float = 120) -> str:
        return self._run(pg_autoctl(), *args, timeout=timeout)

    # -- creating ---------------------------------------------------------------------------

    def is_created(self) -> bool:
        return all((node.data_dir / "PG_VERSION").exists() for node in [self.monitor, *self.nodes])

    def _prepare(self) -> None:
        localdb.prepare_home(self.root, self.root / "cluster", self.as_root)
        for folder in (self.socket_dir, self.home / "config", self.home / "share"):
            folder.mkdir(mode=0o700, exist_ok=True)
            if self.as_root:
                os.chown(folder, *_ids())

    def _initdb(self, node: Node, settings: Mapping[str, str]) -> None:
        """An empty cluster with the formation's settings, which pg_autoctl then adopts."""
        self._run(
            str(self.bindir / "initdb"),
            *("-D", str(node.data_dir), "-U", localdb.SUPERUSER, "--auth=trust"),
            *("--encoding=UTF8", "--locale=C.UTF-8", "--no-instructions"),
        )
        conf = {**settings, "unix_socket_directories": f"'{self.socket_dir}'"}
        lines = "".join(f"{key} = {value}\n" for key, value in conf.items())
        auto = node.data_dir / "postgresql.auto.conf"
        auto.write_text("# DoubleX local formation (doublex ha init)\n" + lines)
        # TCP from loopback only, always over TLS; the socket folder is private.
        (node.data_dir / "pg_hba.conf").write_text(
            "local all all trust\n"
            f"hostssl all all {HOST}/32 trust\n"
            "local replication all trust\n"
            f"hostssl replication all {HOST}/32 trust\n"
        )
        if self.as_root:
            for path in (auto, node.data_dir / "pg_hba.conf"):
                os.chown(path, *_ids())

    def create(self) -> bool:
        """Create the monitor and both nodes (the second a standby of the first) when they
        do not exist yet; True when this call created them. Leaves every keeper running."""
        if self.is_created():
            return False
        self._prepare()
        (self.root / "formation.json").write_text(json.dumps({"port_base": self.port_base}))
        monitor = self.monitor
        if not (monitor.data_dir / "PG_VERSION").exists():
            self._initdb(monitor, {**SERVER_SETTINGS, **MONITOR_MEMORY, **MONITOR_SETTINGS})
            self.autoctl(
                *("create", "monitor", "--pgdata", str(monitor.data_dir)),
                *("--pgport", str(monitor.port), "--hostname", HOST),
                *("--pgctl", str(self.bindir / "pg_ctl"), "--auth", "trust", "--ssl-self-signed"),
            )
            self.autoctl(
                *("config", "set", "--pgdata", str(monitor.data_dir)),
                *("postgresql.listen_addresses", HOST),
            )
        self.start_keeper(monitor)
        for index, node in enumerate(self.nodes):
            if (node.data_dir / "PG_VERSION").exists():
                self.start_keeper(node)
                continue
            if index == 0:
                self._initdb(node, SERVER_SETTINGS)
            self.autoctl(
                *("create", "postgres", "--pgdata", str(node.data_dir)),
                *("--pgport", str(node.port), "--listen", HOST, "--hostname", HOST),
                *("--name", node.name, "--dbname", self.dbname, "--formation", FORMATION),
                *("--monitor", self.monitor_uri(), "--pgctl", str(self.bindir / "pg_ctl")),
                *("--auth", "trust", "--ssl-self-signed"),
            )
            for key, value in KEEPER_SETTINGS.items():
                self.autoctl("config", "set", "--pgdata", str(node.data_dir), key, value)
            self.start_keeper(node)
            self.wait_for(functools.partial(settled, count=index + 1))
        self.wait_writable()
        return True

    # -- keepers ----------------------------------------------------------------------------

    def keeper_running(self, node: Node) -> bool:
        try:
            self.autoctl("status", "--pgdata", str(node.data_dir), timeout=20)
        except FormationError:
            return False
        return True

    def start_keeper(self, node: Node) -> None:
        """`pg_autoctl run` for the node, in a session of its own (it outlives this
        process); its output goes to <name>.log. Nothing when it already runs."""
        if self.keeper_running(node):
            return
        log = self.log_file(node)
        with log.open("a") as handle:
            if self.as_root:
                os.chown(log, *_ids())
            keeper = subprocess.Popen(
                self._command(pg_autoctl(), "run", "--pgdata", str(node.data_dir)),
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                cwd=self.home,
                start_new_session=True,
            )
        # The keeper's session: its process group holds pg_autoctl and its services.
        self._keeper_file(node).write_text(str(keeper.pid))
        deadline = time.monotonic() + 60
        while not self._accepts(node):
            if time.monotonic() > deadline:
                raise FormationError(f"{node.name} did not start; see {log}")
            time.sleep(0.2)

    def _keeper_file(self, node: Node) -> Path:
        return self.home / f"{node.name}.keeper"

    def lose(self, node: Node) -> None:
        """The node's machine dies (tests and the failover benchmark): SIGKILL its keeper's
        whole process group, then its postmaster. Nothing restarts it: the monitor sees the
        node unhealthy and promotes the standby. `start_keeper` brings it back (as the
        standby of the new primary)."""
        keeper = self._keeper(node)
        if keeper is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(keeper, signal.SIGKILL)
        pid = self._postmaster(node)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _keeper(self, node: Node) -> int | None:
        """The process group of the node's keeper as `start_keeper` started it, when that
        process still runs it (a pid reused by another program is not it)."""
        try:
            pid = int(self._keeper_file(node).read_text())
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            leader = os.getpgid(pid) == pid
        except (OSError, ValueError):
            return None
        return pid if leader and str(node.data_dir).encode() in command else None

    def _accepts(self, node: Node) -> bool:
        result = subprocess.run(
            [str(self.bindir / "pg_isready"), "-q", "-h", HOST, "-p", str(node.port)],
            check=False,
        )
        return result.returncode == 0

    def start(self) -> None:
        """Start every keeper (monitor first); the formation must exist."""
        if not self.is_created():
            raise FormationError("no local formation yet: run `doublex ha init`")
        self.start_keeper(self.monitor)
        for node in self.nodes:
            self.start_keeper(node)
        self.wait_writable()

    def wait_writable(self, timeout: float = 120) -> None:
        """Wait until the formation's URI reaches a node that takes writes (restarted
        keepers bring their nodes back to their states one after the other)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.uri(), connect_timeout=5).close()
                return
            except (psycopg.OperationalError, FormationError) as exc:
                if time.monotonic() > deadline:
                    raise FormationError(f"no node takes writes after {timeout:g} s") from exc
            time.sleep(0.3)

    def stop(self) -> None:
        """Stop the data nodes' keepers, then the monitor's (each stops its PostgreSQL)."""
        for node in [*self.nodes, self.monitor]:
            if (node.data_dir / "PG_VERSION").exists() and self.keeper_running(node):
                self.autoctl("stop", "--pgdata", str(node.data_dir), timeout=60)
        deadline = time.monotonic() + 60
        for node in [*self.nodes, self.monitor]:
            while self._postmaster(node) is not None and time.monotonic() < deadline:
                time.sleep(0.2)

    def destroy(self) -> None:
        """Stop everything and delete the formation's files (throwaway formations only)."""
        with contextlib.suppress(FormationError):
            self.stop()
        for node in [*self.nodes, self.monitor]:
            self.lose(node)
        shutil.rmtree(self.home, ignore_errors=True)
        link = self.root / "cluster"
        if link.is_symlink():
            link.unlink()

    def _postmaster(self, node: Node) -> int | None:
        """The pid of the node's running postmaster, from postmaster.pid."""
        try:
            pid = int((node.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            return pid
        return pid

    def postmaster_pid(self, node: Node) -> int:
        pid = self._postmaster(node)
        if pid is None:
            raise FormationError(f"{node.name}'s PostgreSQL is not running")
        return pid

    # -- reading the monitor ---------------------------------------------------------------

    def states(self) -> list[dict[str, Any]]:
        """The monitor's view of every data node (`pg_autoctl show state --json`)."""
        out = self.autoctl("show", "state", "--pgdata", str(self.monitor.data_dir), "--json")
        rows: list[dict[str, Any]] = json.loads(out)
        return rows

    def wait_for(
        self, until: Callable[[list[dict[str, Any]]], bool], timeout: float = 120
    ) -> list[dict[str, Any]]:
        """Poll the monitor until `until(states)` is true."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(FormationError, json.JSONDecodeError):
                states = self.states()
                if until(states):
                    return states
            if time.monotonic() > deadline:
                raise FormationError(f"the formation did not settle in {timeout:g} s")
            time.sleep(0.3)

    def primary(self) -> Node:
        """The data node that is the primary: it reports a writable state and the monitor
        wants it in one (wait_primary ➜ primary, say, when its standby is back)."""
        for row in self.states():
            if {row["current_group_state"], row["assigned_group_state"]} <= WRITABLE:
                return next(n for n in self.nodes if n.port == row["nodeport"])
        raise FormationError("no primary right now (a failover may be under way)")

    def failover(self) -> None:
        """Ask the monitor for a failover (`pg_autoctl perform failover`) and wait for it."""
        self.autoctl(
            *("perform", "failover", "--pgdata", str(self.monitor.data_dir)),
            *("--formation", FORMATION),
        )

    def uri(self, user: str = localdb.SUPERUSER) -> str:
        """The multi-host URI of the formation (`pg_autoctl show uri --formation`), with
        `user`: libpq tries each node and keeps the one that accepts writes."""
        out = self.autoctl(
            *("show", "uri", "--pgdata", str(self.monitor.data_dir)),
            *("--formation", FORMATION),
        )
        return with_user(out.strip(), user)


def pg_autoctl() -> str:
    """The pg_autoctl program, or a FormationError saying how to install it."""
    found = shutil.which("pg_autoctl")
    if found is None:
        raise FormationError(
            "pg_autoctl not found: install pg_auto_failover with 'make deps' as root"
            " (Debian: pg-auto-failover-cli and postgresql-NN-auto-failover)"
        )
    return found


def with_user(uri: str, user: str) -> str:
    """A postgres:// URI of pg_autoctl as postgresql://user@hosts/db?…, its hosts in the
    order of their ports (pg_autoctl names the primary first: the URI stays the same
    whichever node is the primary)."""
    parts = urlsplit(uri)
    hosts = parts.netloc.rsplit("@", 1)[-1].split(",")
    hosts.sort(key=lambda host: int(host.rsplit(":", 1)[1]) if ":" in host else 0)
    return urlunsplit(("postgresql", f"{user}@{','.join(hosts)}", parts.path, parts.query, ""))


def settled(states: Sequence[Mapping[str, Any]], count: int) -> bool:
    """`count` data nodes, each where the monitor wants it, one of them primary."""
    if len(states) != count or any(not _steady(s) for s in states):
        return False
    wanted = {"single"} if count == 1 else {"primary", "secondary"}
    return {s["current_group_state"] for s in states} == wanted


def _steady(state: Mapping[str, Any]) -> bool:
    """The node reports the state the monitor assigned it."""
    return bool(state["current_group_state"] == state["assigned_group_state"])


def _ids() -> tuple[int, int]:
    account = pwd.getpwnam(localdb.SERVICE_USER)
    return account.pw_uid, account.pw_gid


def formation_at(folder: Path, port_base: int | None, bindir: str | None) -> LocalFormation:
    """The formation in `folder` (`.doublex/ha` of the checkout unless told): the ports it
    was created with (formation.json), else `port_base` (DEFAULT_PORT_BASE when None)."""
    recorded = folder / "formation.json"
    if recorded.exists():
        created = json.loads(recorded.read_text())["port_base"]
        if port_base is not None and port_base != created:
            raise FormationError(
                f"the formation in {folder} uses ports from {created}, not {port_base}"
            )
        port_base = int(created)
    return LocalFormation(
        root=folder,
        port_base=DEFAULT_PORT_BASE if port_base is None else port_base,
        bindir=localdb.find_bindir(bindir),
    )
