"""Re-apply every function in procedures/ after each migration run.

Functions are repeatable (CREATE OR REPLACE), so they live in procedures/, one file each,
instead of being copied into numbered migrations. They are created as doublex_owner so
that SECURITY DEFINER functions run with the owner's rights, never the migrator's.
Private helpers (procedures/private/) go first: SQL-language API functions are checked
against them when created. The rules (procedures/rules/: trigger functions and the
invariant checks they call) come next. Migrations 0003 and 0007 created the first version
of those rules; from then on this hook replaces them on every migrate, so a rule changes in
its file in procedures/rules/ and nowhere else.

procedures/ is the whole set: a function of the ledger's schemas that no file re-created in
this run is dropped, in the same transaction that re-created the rest. So deleting a file
removes its function from every database at the next migrate, never before the functions
that called it have been replaced (a migration that dropped it would commit first, and the
old callers would fail until post-apply ran). A function that something still depends on
(a trigger, a view) is not dropped: the DROP fails and so does the migrate, saying which.
"""

from pathlib import Path

from yoyo import step

PROCEDURES = Path(__file__).resolve().parent.parent / "procedures"


def procedure_files() -> list[Path]:
    return (
        sorted(PROCEDURES.glob("private/*.sql"))
        + sorted(PROCEDURES.glob("rules/*.sql"))
        + sorted(PROCEDURES.glob("*.sql"))
    )


RECORD_STATE = """
    INSERT INTO ledger_private.schema_state (migrations)
    SELECT coalesce(array_agg(migration_id ORDER BY applied_at_utc, migration_id), '{}')
      FROM _yoyo_migration
    ON CONFLICT (singleton) DO UPDATE SET migrations = excluded.migrations, applied_at = now()
"""


# Each function of the ledger's schemas and the version of its catalog row. CREATE OR
# REPLACE always writes a new row version, so a function whose version is unchanged after
# the files ran was defined by none of them.
PROJECT_FUNCTIONS = """
    SELECT p.oid::regprocedure::text, p.xmin::text
      FROM pg_proc AS p
     WHERE p.pronamespace IN (SELECT n.oid FROM pg_namespace AS n
                               WHERE n.nspname IN ('ledger', 'ledger_private'))
"""


def drop_functions_without_a_file(cursor, before: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    cursor.execute(PROJECT_FUNCTIONS)
    for function, version in cursor.fetchall():
        if before.get(function) == version:
            cursor.execute(f"DROP FUNCTION {function}")  # a regprocedure: quoted by PostgreSQL


def apply_procedures(conn) -> None:  # type: ignore[no-untyped-def]
    cursor = conn.cursor()
    # Read the applied migrations as the migrator (yoyo's table is not the owner's).
    cursor.execute("SELECT to_regclass('ledger_private.schema_state') IS NOT NULL")
    record_state = cursor.fetchone()[0]
    cursor.execute(PROJECT_FUNCTIONS)
    before = dict(cursor.fetchall())
    cursor.execute("SET LOCAL ROLE doublex_owner")
    for path in procedure_files():
        cursor.execute(path.read_text(encoding="utf-8"))
    drop_functions_without_a_file(cursor, before)
    cursor.execute("RESET ROLE")
    if record_state:
        cursor.execute(RECORD_STATE)


steps = [step(apply_procedures)]
