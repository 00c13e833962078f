"""The event log in tests: run the sequencer until nothing is new, read a tenant's events."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row


def sequence_all(admin_dsn: str) -> int:
    """Run ledger.sequence_events (READ COMMITTED, one batch per transaction) until it finds
    nothing new; answer how many events it moved."""
    moved = 0
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        while True:
            row = conn.execute("SELECT batch_id, events FROM ledger.sequence_events()").fetchone()
            assert row is not None
            if row[0] is None:
                return moved
            moved += int(row[1])


def read_events(admin_dsn: str, after: int = 0, tenant: str = "default") -> list[dict[str, Any]]:
    """Every event of `tenant` after `after`, a page at a time, as ledger.list_events answers."""
    found: list[dict[str, Any]] = []
    with psycopg.connect(admin_dsn, autocommit=True, row_factory=dict_row) as conn:
        while True:
            page = conn.execute(
                "SELECT * FROM ledger.list_events(after => %s, page_size => 1000, tenant => %s)",
                (after, tenant),
            ).fetchall()
            found += page
            if len(page) < 1000:
                return found
            after = page[-1]["position"]
