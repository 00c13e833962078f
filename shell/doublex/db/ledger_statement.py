"""The catalogue's calls about account statements (a mixin of `doublex.db.Ledger`):
one page of `ledger.account_statement` (the REST route), or the whole statement page after
page in one snapshot (the CLI's table, CSV and PDF)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from psycopg import AsyncConnection

from doublex.db.calls import Calls
from doublex.db.queries import QUERIES
from doublex.db.runner import READ, Row

PAGE_LIMIT = "statement_page_legs"


@dataclass(frozen=True, repr=False)
class Statement:
    """A whole statement: the account (ledger.get_account) and its rows, opening first,
    closing last (ledger.account_statement)."""

    account: Row
    rows: list[Row]

    def __repr__(self) -> str:
        # Short: asyncio.run (Python 3.11) formats the finished task, result included, when
        # it restores the SIGINT handler; 100,000 rows took a second and a half to print.
        return f"Statement(account={self.account.get('code')!r}, rows={len(self.rows)})"


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
        progress: Callable[[date], None] | None = None,
    ) -> Statement:
        """Every page (of the largest size, api_limit('statement_page_legs')), from one
        snapshot, until the closing row. `progress(d)` hears the effective date each page
        reached."""
        params: dict[str, Any] = {"account": account, "from_date": from_date, "to_date": to_date,
                  "tenant": tenant}  # fmt: skip

        async def work(conn: AsyncConnection[Row]) -> Statement:
            limits = await (await conn.execute(QUERIES["api_limits"])).fetchall()
            params["page_size"] = next(r["value"] for r in limits if r["name"] == PAGE_LIMIT)
            known = await conn.execute(QUERIES["get_account"], {"code": account, "tenant": tenant})
            info = await known.fetchone()
            assert info is not None, "get_account returned no row"
            rows: list[Row] = []
            after: str | None = None
            while not rows or rows[-1]["kind"] != "closing":
                page_params = params | {"after_cursor": after}
                found = await conn.execute(QUERIES["account_statement"], page_params)
                page = await found.fetchall()
                rows += page
                after = page[-1]["cursor"]
                if progress is not None:
                    progress(page[-1]["effective_date"])
            return Statement(info, rows)

        return await self.run(work, **READ.options)
