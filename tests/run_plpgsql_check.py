"""Lint every PL/pgSQL function with plpgsql_check on a freshly migrated throwaway database.

Trigger functions are checked against the table of each trigger that uses them, with its
transition tables (REFERENCING NEW/OLD TABLE) when it declares them. Any error
or warning fails the run (exit 1); performance notes are printed but do not fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.cluster import running_cluster

TARGETS = """
    SELECT p.oid::regprocedure::text AS function, p.oid AS fn, coalesce(t.tgrelid, 0) AS rel,
           t.tgnewtable::text AS new, t.tgoldtable::text AS old
      FROM pg_proc p
      JOIN pg_namespace n ON n.oid = p.pronamespace
      JOIN pg_language l ON l.oid = p.prolang
      LEFT JOIN LATERAL (SELECT tg.tgrelid, tg.tgnewtable, tg.tgoldtable
                           FROM pg_trigger tg WHERE tg.tgfoid = p.oid LIMIT 1) t
             ON true
     WHERE n.nspname IN ('ledger', 'ledger_private') AND l.lanname = 'plpgsql'
     ORDER BY 1
"""

CHECK = """
    SELECT level, message, lineno, statement, hint
      FROM plpgsql_check_function_tb(%(fn)s::oid, %(rel)s::oid,
                                     extra_warnings => false, performance_warnings => true,
                                     newtable => %(new)s::name, oldtable => %(old)s::name)
"""


def main() -> int:
    failures = 0
    with running_cluster() as cluster:
        db = cluster.create_database("lint")
        with psycopg.connect(cluster.admin_dsn(db), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION plpgsql_check")
            targets = conn.execute(TARGETS).fetchall()
            for function, fn, rel, new, old in targets:
                for level, message, lineno, statement, hint in conn.execute(
                    CHECK, {"fn": fn, "rel": rel, "new": new, "old": old}
                ).fetchall():
                    failing = level in ("error", "warning")
                    failures += failing
                    marker = "FAIL" if failing else "note"
                    print(f"{marker} {function} line {lineno} ({statement}): {level}: {message}")
                    if hint:
                        print(f"     hint: {hint}")
    print(f"plpgsql_check: {len(targets)} functions, {failures} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
