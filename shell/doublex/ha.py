"""High availability with pg_auto_failover: the local formation `doublex ha` manages.

A pg_auto_failover monitor and two data nodes (a primary and a synchronous standby) on
127.0.0.1, for development and tests; production runs the same three roles on three
machines (README, "High availability"). Replication, health checks and failover are
pg_auto_failover's own: this module only creates the nodes with `pg_autoctl create`, runs
their keepers (`pg_autoctl run`, one background process per node, started in a session of
its own so it outlives the command) and reads the monitor (`pg_autoctl show state|uri`).

pg_autoctl refuses to run as root, as PostgreSQL does: as root every command runs as the
unprivileged `doublex` user (doublex.ha_autoctl, which runs pg_autoctl and the keepers), and
the formation's files move under /var/tmp when that user cannot reach the checkout.

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
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from doublex import localdb

# HOST, Node and FormationError are also this module's: the CLI and the tests use them here.
from doublex.ha_autoctl import HOST as HOST
from doublex.ha_autoctl import FormationError as FormationError
from doublex.ha_autoctl import FormationProcesses
from doublex.ha_autoctl import Node as Node

FORMATION = "default"
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


@dataclass
class LocalFormation(FormationProcesses):
    """The local formation: created, started, stopped, and read from its monitor."""

    # -- creating ---------------------------------------------------------------------------

    def is_created(self) -> bool:
        return all((node.data_dir / "PG_VERSION").exists() for node in [self.monitor, *self.nodes])

    def _prepare(self) -> None:
        localdb.prepare_home(self.root, self.root / "cluster", self.as_root)
        for folder in (self.socket_dir, self.home / "config", self.home / "share"):
            folder.mkdir(mode=0o700, exist_ok=True)
            self._own(folder)

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
        self._own(auto, node.data_dir / "pg_hba.conf")

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
