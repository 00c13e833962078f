"""The project-local PostgreSQL cluster (the embedded default).

`doublex db start` runs a private cluster under `.doublex/` on its own port, reachable on
127.0.0.1 and through a socket directory beside the data. The same class gives the test
suite its throwaway clusters.

PostgreSQL refuses to run as root, so when invoked as root every server command runs as an
unprivileged system user (`doublex`) that is created on first use. When that user cannot
reach the checkout (a clone under /root, say), the cluster lives under /var/tmp and
`.doublex/cluster` is a symlink to it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pwd
import shutil
import socket
import stat
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from psycopg.conninfo import make_conninfo

SERVICE_USER = "doublex"
SUPERUSER = "postgres"
DEFAULT_DATABASE = "doublex"

# Settings every DoubleX cluster gets. Serializable postings keep many predicate locks while
# other transactions overlap; the default of 64 per transaction escalates to coarse locks
# too early and turns into false serialization failures.
BASE_SETTINGS: Mapping[str, str] = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "300",
    "shared_buffers": "'512MB'",
    "max_pred_locks_per_transaction": "256",
    "max_pred_locks_per_page": "8",
    "log_line_prefix": "'%m [%p] %q%u@%d '",
    "log_min_duration_statement": "-1",
    "timezone": "'UTC'",
}

# A throwaway cluster for tests trades durability for speed; never used for `db start`.
THROWAWAY_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
}


class ClusterError(RuntimeError):
    """The local cluster could not be prepared, started or stopped."""


def find_bindir(explicit: str | None = None) -> Path:
    """Where initdb, pg_ctl and postgres are: DOUBLEX_PG_BINDIR, Debian's layout, or PATH."""
    if explicit:
        path = Path(explicit)
        if (path / "initdb").exists():
            return path
        raise ClusterError(f"DOUBLEX_PG_BINDIR={explicit} has no initdb")
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise ClusterError(
        "PostgreSQL server binaries not found. Install them with "
        "'sudo apt-get install postgresql' (or run 'make deps' as root), "
        "or set DOUBLEX_PG_BINDIR to the folder holding initdb and pg_ctl."
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_service_user() -> None:
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
        )


def private_folder(path: Path, owner: str) -> Path:
    """A folder in a world-writable place (/var/tmp) that only `owner` can use: created
    0700 and handed to `owner`, or, when it exists, accepted only as a real folder (not a
    symlink another local user planted) already owned by `owner` (or root) and closed to
    group and others. Nothing follows a link: mkdir refuses an existing name, lstat and
    lchown look at the name itself."""
    account = pwd.getpwnam(owner)
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700)
    found = os.lstat(path)
    if (
        not stat.S_ISDIR(found.st_mode)
        or found.st_uid not in (0, account.pw_uid)
        or found.st_mode & 0o077
    ):
        raise ClusterError(
            f"{path} exists but is not a private folder of {owner} (a symlink, another "
            "user's, or open to others); remove it and run the command again"
        )
    os.lchown(path, account.pw_uid, account.pw_gid)
    return path


def prepare_home(root: Path, home: Path, as_root: bool) -> None:
    """Create `home` (a folder of `root`) where the server's user can write to it: as
    root, handed to that user, or, when it cannot traverse to the checkout (a clone under
    /root, say), a private folder under /var/tmp that `home` is a symlink to."""
    root.mkdir(parents=True, exist_ok=True)
    if not as_root:
        home.mkdir(exist_ok=True)
        return
    ensure_service_user()
    if home.is_symlink() or home.exists():
        target = home.resolve()
    else:
        home.mkdir()
        target = home
    shutil.chown(target, SERVICE_USER)
    reachable = (
        subprocess.run(
            ["runuser", "-u", SERVICE_USER, "--", "test", "-w", str(target)], check=False
        ).returncode
        == 0
    )
    if reachable:
        return
    # The server's user cannot traverse to the checkout (e.g. it is under /root).
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:12]
    relocated = private_folder(Path("/var/tmp") / f"doublex-{digest}", SERVICE_USER)
    target.rmdir()
    home.symlink_to(relocated, target_is_directory=True)


@dataclass
class LocalCluster:
    """A PostgreSQL cluster whose files live under `root`."""

    root: Path
    port: int
    bindir: Path
    settings: Mapping[str, str] = field(default_factory=dict)

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    @property
    def home(self) -> Path:
        return self.root / "cluster"

    @property
    def server_home(self) -> Path:
        """`home` with the relocation symlink resolved: the server's user may not be able
        to traverse the checkout's path to reach the symlink."""
        return self.home.resolve()

    @property
    def data_dir(self) -> Path:
        return self.server_home / "data"

    @property
    def socket_dir(self) -> Path:
        return self.server_home / "run"

    @property
    def log_file(self) -> Path:
        return self.server_home / "postgres.log"

    def dsn(self, dbname: str = DEFAULT_DATABASE, user: str = SUPERUSER) -> str:
        return make_conninfo(host="127.0.0.1", port=self.port, user=user, dbname=dbname)

    def url(self, dbname: str = DEFAULT_DATABASE, user: str = SUPERUSER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    # -- running server commands ---------------------------------------------------------

    def _command(self, program: str, *args: str) -> list[str]:
        cmd = [str(self.bindir / program), *args]
        if self.as_root:
            return ["runuser", "-u", SERVICE_USER, "--", *cmd]
        return cmd

    def _run(
        self, program: str, *args: str, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self._command(program, *args), capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            raise ClusterError(
                f"{program} failed ({result.returncode}): {result.stderr.strip() or result.stdout}"
            )
        return result

    # -- lifecycle -----------------------------------------------------------------------

    def is_initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def is_running(self) -> bool:
        if not self.is_initialized():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.data_dir), check=False).returncode == 0

    def _prepare_home(self) -> None:
        """Create the cluster's folder where the server's user can write to it."""
        prepare_home(self.root, self.home, self.as_root)

    def init(self) -> bool:
        """Create the cluster if it does not exist yet; True when it was created."""
        if self.is_initialized():
            return False
        self._prepare_home()
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-instructions",
        )
        self.socket_dir.mkdir(exist_ok=True)
        if self.as_root:
            shutil.chown(self.socket_dir, SERVICE_USER)
        conf = {
            **BASE_SETTINGS,
            "port": str(self.port),
            "unix_socket_directories": f"'{self.socket_dir}'",
            **self.settings,
        }
        lines = [f"{key} = {value}" for key, value in conf.items()]
        with (self.data_dir / "postgresql.conf").open("a") as handle:
            handle.write("\n# DoubleX local cluster\n" + "\n".join(lines) + "\n")
        return True

    def start(self, timeout: float = 60) -> None:
        self.init()
        if self.is_running():
            return
        if self._port_taken():
            raise ClusterError(
                f"port {self.port} on 127.0.0.1 is in use by another program; "
                "set DOUBLEX_PGPORT to a free port"
            )
        if self.as_root and not self.log_file.exists():
            self.log_file.touch()
            shutil.chown(self.log_file, SERVICE_USER)
        self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-w",
            "-t",
            str(int(timeout)),
        )

    def stop(self) -> None:
        if self.is_running():
            self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "fast", "-w")

    def destroy(self) -> None:
        """Stop the cluster and delete its files (throwaway clusters only)."""
        self.stop()
        target = self.home.resolve()
        shutil.rmtree(target, ignore_errors=True)
        if self.home.is_symlink():
            self.home.unlink()

    def _port_taken(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if (
                self._run(
                    "pg_isready", "-h", "127.0.0.1", "-p", str(self.port), check=False
                ).returncode
                == 0
            ):
                return
            time.sleep(0.1)
        raise ClusterError(f"PostgreSQL on port {self.port} did not become ready")

    def psql(self, sql: str, dbname: str = "postgres") -> str:
        """Run SQL as the superuser through psql (used for bootstrap statements)."""
        result = subprocess.run(
            [
                str(self.bindir / "psql"),
                "-X",
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-d",
                self.dsn(dbname),
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ClusterError(result.stderr.strip())
        return result.stdout

    def ensure_database(self, dbname: str = DEFAULT_DATABASE) -> None:
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{dbname}'")
        if not exists.strip():
            self.psql(f'CREATE DATABASE "{dbname}"')

    def status_lines(self) -> Sequence[str]:
        state = (
            "running"
            if self.is_running()
            else ("stopped" if self.is_initialized() else "not initialised")
        )
        return [
            f"state:   {state}",
            f"data:    {self.data_dir}",
            f"port:    {self.port}",
            f"socket:  {self.socket_dir}",
            f"log:     {self.log_file}",
            f"dsn:     {self.url()}",
        ]


def project_cluster(root: Path, port: int, bindir: str | None) -> LocalCluster:
    """The cluster `doublex db …` manages: `.doublex/` in the checkout."""
    return LocalCluster(root=root / ".doublex", port=port, bindir=find_bindir(bindir))
