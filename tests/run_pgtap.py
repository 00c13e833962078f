"""Run the pgTAP suites (pgtap/*.sql) with pg_prove against a throwaway cluster.

A fresh migrated database gets the pgtap extension; pg_prove runs every file in it (each
file is one transaction rolled back at the end, so files do not see each other's data).
Exits with pg_prove's status.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from support.cluster import running_cluster  # noqa: E402


def main() -> int:
    prove = shutil.which("pg_prove")
    if prove is None:
        print("pg_prove not found: run 'make deps' as root")
        print("(Debian package libtap-parser-sourcehandler-pgtap-perl)")
        return 1
    # `run_pgtap.py pgtap/03_post_journal.sql` runs one file; other arguments go to pg_prove.
    chosen = [arg for arg in sys.argv[1:] if arg.endswith(".sql")]
    options = [arg for arg in sys.argv[1:] if not arg.endswith(".sql")]
    files = chosen or sorted(str(p) for p in (ROOT / "pgtap").glob("*.sql"))
    if not files:
        print("no pgTAP files in pgtap/")
        return 1
    with running_cluster() as cluster:
        db = cluster.create_database("pgtap")
        cluster.execute("CREATE EXTENSION pgtap", dbname=db)
        conn = cluster.cluster
        cmd = [
            prove,
            "--host",
            "127.0.0.1",
            "--port",
            str(conn.port),
            "--username",
            "postgres",
            "--dbname",
            db,
            "--ext",
            ".sql",
            "--failures",
            *options,
            *files,
        ]
        return subprocess.run(cmd, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
