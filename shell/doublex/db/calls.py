"""The two ways a catalogue method runs its SQL API call: `_one` (the call's one row) and
`_all` (its rows), each one pipelined transaction of the runner. The base of `Ledger` and
its mixins (doublex.db.ledger_access, doublex.db.ledger_holds)."""

from __future__ import annotations

from typing import Any

from doublex.db.queries import QUERIES
from doublex.db.runner import Mode, Row, Runner


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
