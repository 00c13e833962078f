"""Re-apply every function in procedures/ after each migration run.

Functions are repeatable (CREATE OR REPLACE), so they live in procedures/, one file each,
instead of being copied into numbered migrations. They are created as doublex_owner so
that SECURITY DEFINER functions run with the owner's rights, never the migrator's.
Private helpers (procedures/private/) go first: SQL-language API functions are checked
against them when created.
"""

from pathlib import Path

from yoyo import step

PROCEDURES = Path(__file__).resolve().parent.parent / "procedures"


def procedure_files() -> list[Path]:
    return sorted(PROCEDURES.glob("private/*.sql")) + sorted(PROCEDURES.glob("*.sql"))


def apply_procedures(conn) -> None:  # type: ignore[no-untyped-def]
    cursor = conn.cursor()
    cursor.execute("SET LOCAL ROLE doublex_owner")
    for path in procedure_files():
        cursor.execute(path.read_text(encoding="utf-8"))
    cursor.execute("RESET ROLE")


steps = [step(apply_procedures)]
