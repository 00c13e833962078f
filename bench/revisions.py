"""Another revision beside this checkout, for the benchmarks that compare two revisions.

compare_revisions.py (throughput), posting_cost.py --base (counts and time per posting) and
sequencer_cost.py --base (two versions of two functions) share these: a revision's files
(`show`), the revision checked out in a temporary worktree (`checked_out`), the environment
that runs that tree's own code (`tree_env`), the benchmark database built by that tree's
own run_sql_bench beside this checkout's in one cluster (`prepare_database`), the
alternating order of rounds and the spread of one revision's rounds.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE = "doublex_bench"  # run_sql_bench.DATABASE in every revision

# Run inside the other tree: its own run_sql_bench.prepare (migrations, procedures, seed).
PREPARE = (
    "import sys; sys.path.insert(0, sys.argv[1]); import run_sql_bench as s; "
    "s.prepare(s.parse_options(sys.argv[2:]))"
)


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def show(rev: str, path: str) -> str:
    """A file as it is at `rev` (its text, unstripped)."""
    return subprocess.run(
        ["git", "show", f"{rev}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


@contextmanager
def checked_out(rev: str) -> Iterator[Path]:
    """The revision in a temporary, detached git worktree, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="doublex-base-") as tmp:
        tree = Path(tmp) / "tree"
        git("worktree", "prune")  # a killed run's worktree is gone with its temp dir
        git("worktree", "add", "--detach", "--quiet", str(tree), rev)
        try:
            yield tree
        finally:
            git("worktree", "remove", "--force", str(tree))


def cluster_dsn() -> str:
    """DOUBLEX_DSN, or the project-local cluster (started if needed)."""
    if os.environ.get("DOUBLEX_DSN"):
        return os.environ["DOUBLEX_DSN"]
    doublex = Path(sys.executable).with_name("doublex")
    started = subprocess.run([str(doublex), "db", "start"], check=True, capture_output=True)
    return started.stdout.decode().strip().splitlines()[-1]


def tree_env(tree: Path, dsn: str) -> dict[str, str]:
    """The environment in which `tree`'s own code (shell, migrations, procedures) runs."""
    return {
        **os.environ,
        "DOUBLEX_DSN": dsn,
        "DOUBLEX_HOME": str(tree),
        "PYTHONPATH": str(tree / "shell"),
    }


def with_dbname(dsn: str, dbname: str) -> str:
    params = {k: v for k, v in conninfo_to_dict(dsn).items() if v is not None}
    params["dbname"] = dbname
    return make_conninfo(**params)  # type: ignore[arg-type]


def prepare_database(tree: Path, dsn: str, dbname: str, bench_args: Sequence[str]) -> None:
    """`dbname` in the cluster of `dsn`: the benchmark database as `tree`'s own
    run_sql_bench.prepare builds it (its migrations, procedures and seed; `bench_args` are
    that script's options), renamed from doublex_bench so that this checkout's can be built
    beside it."""
    command = [sys.executable, "-c", PREPARE, str(tree / "bench"), *bench_args]
    subprocess.run(command, env=tree_env(tree, dsn), check=True)
    with psycopg.connect(dsn, autocommit=True) as conn:
        name = sql.Identifier(dbname)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(
            sql.SQL("ALTER DATABASE {} RENAME TO {}").format(sql.Identifier(BENCH_DATABASE), name)
        )


def order_of_rounds(rounds: int) -> list[tuple[int, str]]:
    """base, head, head, base, base, head, …: each revision goes first as often as it can."""
    pairs = [("base", "head"), ("head", "base")]
    return [(n, rev) for n in range(rounds) for rev in pairs[n % 2]]


def spread_pct(values: Sequence[float]) -> float:
    """(max - min) / mean of one revision's rounds, in percent; 0 for a single round."""
    mean = statistics.fmean(values)
    return 100.0 * (max(values) - min(values)) / mean if len(values) > 1 and mean else 0.0
