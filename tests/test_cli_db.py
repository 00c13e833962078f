"""`doublex db …`, `doublex migrate` and `doublex maintain` on a real project-local cluster.

DOUBLEX_HOME points the commands at a temporary checkout, so the cluster lives under its
own `.doublex/` on a free port. Run as root, this also covers the unprivileged server user
and the relocation used when that user cannot reach the checkout.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from doublex import localdb, migrate
from doublex.cli import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "checkout"
    home.mkdir()
    shutil.copytree(ROOT / "migrations", home / "migrations")
    shutil.copytree(ROOT / "procedures", home / "procedures")
    monkeypatch.setenv("DOUBLEX_HOME", str(home))
    monkeypatch.setenv("DOUBLEX_PGPORT", str(localdb.free_port()))
    monkeypatch.delenv("DOUBLEX_DSN", raising=False)
    monkeypatch.delenv("DOUBLEX_SERVICE_DSN", raising=False)
    yield home
    CliRunner().invoke(main, ["db", "stop"])
    cluster_home = home / ".doublex" / "cluster"
    if cluster_home.is_symlink():
        shutil.rmtree(cluster_home.resolve(), ignore_errors=True)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_db_lifecycle(project: Path) -> None:
    port = os.environ["DOUBLEX_PGPORT"]
    code, out = run("db", "status")
    assert code == 3 and "not initialised" in out

    code, out = run("db", "start")
    assert code == 0, out
    url = f"postgresql://postgres@127.0.0.1:{port}/doublex"
    assert out.strip().endswith(url)
    assert (project / ".doublex" / "cluster" / "data").exists()

    code, again = run("db", "start")  # idempotent: still running, same DSN
    assert code == 0 and again.strip() == url

    code, out = run("db", "status")
    assert code == 0 and "running" in out and port in out
    assert run("db", "url") == (0, url + "\n")

    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_setting('port')").fetchone() == (port,)

    code, out = run("db", "stop")
    assert code == 0 and "stopped" in out
    code, out = run("db", "status")
    assert code == 3 and "stopped" in out


def test_migrate_and_maintain_against_local_cluster(project: Path) -> None:
    code, out = run("migrate")
    assert code == 0, out
    assert "applied 0001_roles_and_schemas" in out
    code, out = run("migrate")
    assert code == 0 and "0 migration(s) applied" in out

    url = run("db", "url")[1].strip()
    with psycopg.connect(url.replace("postgres@", "doublex_app@")) as conn:
        conn.execute("SELECT * FROM create_account('1001-CASH', 'Cash', 'EUR')")
        conn.execute("SELECT * FROM create_account('4001-REV', 'Revenue', 'EUR', 'income')")
        conn.execute("""SELECT * FROM post_journal('k1', '[
            {"account":"1001-CASH","side":"debit","amount":"5.00","ccy":"EUR"},
            {"account":"4001-REV","side":"credit","amount":"5.00","ccy":"EUR"}]')""")
        conn.commit()

    code, out = run("maintain")
    assert code == 0, out
    assert "folded 2 leg(s) into 2 account checkpoint(s)" in out

    latest = migrate.known()[-1]
    code, out = run("migrate", "--rollback")
    assert code == 0 and f"rolled back {latest}" in out


def test_dsn_env_points_commands_elsewhere(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOUBLEX_DSN", "postgresql://someone@db.example:5432/ledger")
    assert run("db", "url") == (0, "postgresql://someone@db.example:5432/ledger\n")


def test_start_refuses_a_port_in_use(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        monkeypatch.setenv("DOUBLEX_PGPORT", str(busy.getsockname()[1]))
        code, out = run("db", "start")
    assert code != 0 and "in use" in out


def test_private_folder_never_follows_a_planted_symlink(tmp_path: Path) -> None:
    """/var/tmp/doublex-<hash> as root: another local user may have created the name first
    (a symlink to a folder of theirs, or an open folder); it is refused, never chowned."""
    me = localdb.pwd.getpwuid(os.getuid()).pw_name
    victim = tmp_path / "victim"
    victim.mkdir(mode=0o700)
    planted = tmp_path / "planted"
    planted.symlink_to(victim, target_is_directory=True)
    with pytest.raises(localdb.ClusterError, match="not a private folder"):
        localdb.private_folder(planted, me)
    open_folder = tmp_path / "open"
    open_folder.mkdir()
    open_folder.chmod(0o777)
    with pytest.raises(localdb.ClusterError, match="not a private folder"):
        localdb.private_folder(open_folder, me)
    fresh = localdb.private_folder(tmp_path / "fresh", me)
    assert fresh.is_dir() and not fresh.is_symlink()
    assert (fresh.stat().st_mode & 0o777) == 0o700
    assert localdb.private_folder(fresh, me) == fresh  # ours from an earlier run: kept
