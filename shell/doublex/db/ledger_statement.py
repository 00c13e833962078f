"""The catalogue's calls about account statements (a mixin of `doublex.db.Ledger`):
one page of `ledger.account_statement` (the REST route), or the whole statement page after
page in one snapshot (the CLI's table, CSV and PDF)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import tuple_row
from psycopg.types.string import TextLoader

from doublex.db.calls import Calls
from doublex.db.queries import QUERIES
from doublex.db.runner import READ, Row

PAGE_LIMIT = "statement_page_legs"
# The columns of ledger.account_statement, in order: a record is a tuple of them.
COLUMNS = (
    "kind", "effective_date", "journal_id", "leg_no", "created_at", "journal_kind", "reverses",
    "memo", "ref", "side", "amount", "debits", "credits", "balance", "cursor",
)  # fmt: skip
KIND, EFFECTIVE_DATE, CURSOR = (
    COLUMNS.index(name) for name in ("kind", "effective_date", "cursor")
)
Record = tuple[Any, ...]


@dataclass(frozen=True, repr=False)
class Statement:
    """A whole statement: the account (ledger.get_account) and its records, opening first,
    closing last (ledger.account_statement, COLUMNS)."""

    account: Row
    records: list[Record]

    @cached_property
    def rows(self) -> list[Row]:
        """The records as rows, by column name."""
        return [dict(zip(COLUMNS, record, strict=True)) for record in self.records]

    def __repr__(self) -> str:
        # Short: asyncio.run (Python 3.11) formats the finished task, result included, when
        # it restores the SIGINT handler; 100,000 rows took a second and a half to print.
        return f"Statement(account={self.account.get('code')!r}, records={len(self.records)})"


class StatementCalls(Calls):
    """Account statements."""

    async def account_statement(
        self,
        account: str,
        from_date: date,
        to_date: date,
        after_cursor: str | None = None,
        page_size: int = 1000,
        tenant: str | None = None,
    ) -> list[Row]:
        """One page: up to page_size legs after the cursor (the first page opens, the last
        one closes)."""
        return await self._all(
            "account_statement", READ, account=account, from_date=from_date, to_date=to_date,
            after_cursor=after_cursor, page_size=page_size, tenant=tenant,
        )  # fmt: skip

    async def whole_statement(
        self,
        account: str,
        from_date: date,
        to_date: date,
        tenant: str | None = None,
        each_page: Callable[[list[Record]], None] | None = None,
        *,
        texts: bool = False,
    ) -> Statement:
        """Every page (of the largest size, api_limit('statement_page_legs')), from one
        snapshot, until the closing row. `each_page(records)` hears each page as it comes:
        the database already works on the next one meanwhile (its query is sent first), so
        what the caller does with a page (print it) overlaps with what the next one costs.
        `texts=True`: ids and amounts as PostgreSQL writes them (str: the canonical UUID, the
        exact digits, as `doublex.cells` prints a UUID and a Decimal), not parsed into UUID
        and Decimal only to be printed again."""
        params: dict[str, Any] = {"account": account, "from_date": from_date, "to_date": to_date,
                  "tenant": tenant}  # fmt: skip

        async def work(conn: AsyncConnection[Row]) -> Statement:
            limits = await (await conn.execute(QUERIES["api_limits"])).fetchall()
            params["page_size"] = next(r["value"] for r in limits if r["name"] == PAGE_LIMIT)
            known = await conn.execute(QUERIES["get_account"], {"code": account, "tenant": tenant})
            info = await known.fetchone()
            assert info is not None, "get_account returned no row"
            cursors = (conn.cursor(row_factory=tuple_row), conn.cursor(row_factory=tuple_row))
            for cursor in cursors if texts else ():
                for type_name in ("uuid", "numeric"):
                    cursor.adapters.register_loader(type_name, TextLoader)
            return Statement(info, await _pages(cursors, params, each_page))

        return await self.run(work, **READ.options)


async def _pages(
    cursors: tuple[AsyncCursor[Record], AsyncCursor[Record]],
    params: dict[str, Any],
    each_page: Callable[[list[Record]], None] | None,
) -> list[Record]:
    """Every record of the statement, a page at a time. Pages alternate between the two
    cursors: once a page has arrived, the next one's query (after its last row's cursor) is
    sent on the other cursor before this page's rows are read into Python and `each_page`
    hears them, so the database works while the client does."""

    async def arrived(cursor: AsyncCursor[Record], after: str | None) -> AsyncCursor[Record]:
        await cursor.execute(QUERIES["account_statement"], params | {"after_cursor": after})
        assert cursor.description is not None
        assert tuple(column.name for column in cursor.description) == COLUMNS
        return cursor

    records: list[Record] = []
    following = asyncio.ensure_future(arrived(cursors[0], None))
    try:
        for number in itertools.count(1):
            cursor = await following
            await cursor.scroll(cursor.rowcount - 1, mode="absolute")
            last = await cursor.fetchone()
            assert last is not None, "a page of ledger.account_statement is never empty"
            if last[KIND] != "closing":
                following = asyncio.ensure_future(arrived(cursors[number % 2], last[CURSOR]))
                await asyncio.sleep(0)  # the task sends its query
            await cursor.scroll(0, mode="absolute")
            found = await cursor.fetchall()
            records += found
            if each_page is not None:
                each_page(found)
            if last[KIND] == "closing":
                break
    finally:
        if not following.done():  # each_page raised: the page asked for is not wanted
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await following
    return records
