"""The catalogue's calls about the event log (a mixin of `doublex.db.Ledger`): read a page
after a position, and the sequencer that gives queued events their positions."""

from __future__ import annotations

from collections.abc import Sequence

from doublex.db.calls import Calls
from doublex.db.runner import LOOKUP, ROLL_UP, Row


class EventsCalls(Calls):
    """The event log (issue #18)."""

    async def list_events(
        self,
        after: int = 0,
        types: Sequence[str] | None = None,
        page_size: int = 100,
        tenant: str | None = None,
    ) -> list[Row]:
        """The events after position `after`, in position order. READ COMMITTED: one
        statement on one table, and a reader that polls must never wait for a safe snapshot."""
        return await self._all(
            "list_events", LOOKUP, after=after, types=None if types is None else list(types),
            page_size=page_size, tenant=tenant,
        )  # fmt: skip

    async def sequence_events(self) -> Row:
        """Move the next PgQ batch into the event log (the service's housekeeping, no key):
        batch_id (None: nothing new), events, by_type, lag."""
        return await self._one("sequence_events", ROLL_UP)
