"""The two ways a catalogue method runs its SQL API call: `_one` (the call's one row) and
`_all` (its rows), each one scripted transaction of the runner (`Runner.statements`). The
base of `Ledger` and its mixins (doublex.db.ledger_access, doublex.db.ledger_holds)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from psycopg.types.json import Jsonb

from doublex.db.queries import QUERIES
from doublex.db.runner import Mode, Row, Runner


def conditions_json(conditions: Sequence[Mapping[str, Any]] | Any | None) -> Jsonb | None:
    """A request's balance conditions as the SQL API takes them (NULL: none), as they came:
    the ledger checks their shape (DX056)."""
    return None if conditions is None else Jsonb(conditions)


class Calls(Runner):
    """The runner, and one SQL API call per transaction."""

    async def _one(self, query: str, mode: Mode, /, **params: Any) -> Row:
        """The one row the call returns."""
        rows = await self._all(query, mode, **params)
        assert rows, f"{query} returned no row"
        return rows[0]

    async def _all(self, query: str, mode: Mode, /, **params: Any) -> list[Row]:
        """Every row the call returns."""
        (rows,) = await self.statements([(QUERIES[query], params)], **mode.options)
        return rows
