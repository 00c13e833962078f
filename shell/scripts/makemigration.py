"""make makemigration m="add holds": the next numbered migration and its rollback file.

The new migration depends on the latest one, so yoyo applies them in order.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def main(description: str) -> int:
    slug = re.sub(r"[^a-z0-9]+", "_", description.lower()).strip("_")
    if not slug:
        print('the description needs letters or digits, e.g. m="add holds"')
        return 1
    existing = sorted(
        p
        for p in MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.sql")
        if not p.name.endswith(".rollback.sql")
    )
    number = int(existing[-1].name[:4]) + 1 if existing else 1
    previous = existing[-1].stem if existing else ""
    name = f"{number:04d}_{slug}"
    forward = MIGRATIONS / f"{name}.sql"
    backward = MIGRATIONS / f"{name}.rollback.sql"
    body = (
        "SET LOCAL ROLE doublex_owner;\nSET LOCAL lock_timeout = '5s';\n"
        "SET LOCAL statement_timeout = '5min';\n\n\n\nRESET ROLE;\n"
    )
    forward.write_text(f"-- {description}\n-- depends: {previous}\n\n{body}", encoding="utf-8")
    backward.write_text(f"-- Roll back {name}: {description}\n\n", encoding="utf-8")
    print(f"created {forward.relative_to(MIGRATIONS.parent)} and {backward.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(" ".join(sys.argv[1:])))
