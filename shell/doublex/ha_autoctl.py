"""pg_autoctl and the processes of the local formation (doublex.ha): where each server's
files are, running `pg_autoctl` (and initdb, pg_isready) in the formation's environment,
and the keepers (`pg_autoctl run`, one background process per node, started in a session of
its own so it outlives the command) and postmasters of its nodes.

pg_autoctl refuses to run as root, as PostgreSQL does: as root every command runs as the
unprivileged `doublex` user, as `doublex db start` does (doublex.localdb), and the files it
needs are handed to that user (`_own`).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from doublex import localdb

HOST = "127.0.0.1"
NODES = ("node1", "node2")


class FormationError(RuntimeError):
    """The local formation could not be created, started, read or stopped."""


@dataclass(frozen=True)
class Node:
    """One server of the formation: the monitor or a data node."""

    name: str
    port: int
    data_dir: Path


@dataclass
class FormationProcesses:
    """The monitor and the two data nodes whose files live under `root` (`.doublex/ha`): their
    places, pg_autoctl, their keepers and postmasters."""

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

    def _own(self, *paths: Path) -> None:
        """As root: hand `paths` to the user the formation runs as."""
        if self.as_root:
            for path in paths:
                os.chown(path, *_ids())

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
            self._own(log)
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


def pg_autoctl() -> str:
    """The pg_autoctl program, or a FormationError saying how to install it."""
    found = shutil.which("pg_autoctl")
    if found is None:
        raise FormationError(
            "pg_autoctl not found: install pg_auto_failover with 'make deps' as root"
            " (Debian: pg-auto-failover-cli and postgresql-NN-auto-failover)"
        )
    return found


def _ids() -> tuple[int, int]:
    account = pwd.getpwnam(localdb.SERVICE_USER)
    return account.pw_uid, account.pw_gid
