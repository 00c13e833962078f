"""The catalogue's calls about balance monitors (a mixin of `doublex.db.Ledger`): create,
list and delete. The ledger evaluates them itself, in the transaction of each change."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from doublex.db.calls import Calls
from doublex.db.runner import READ, WRITE, Row


class MonitorsCalls(Calls):
    """Balance monitors (issue #18)."""

    async def create_monitor(
        self,
        account: str | None,
        account_type: str | None,
        field: str | None,
        condition: str | None,
        threshold: Decimal | None,
        tenant: str | None = None,
    ) -> Row:
        return await self._one(
            "create_monitor", WRITE, account=account, account_type=account_type, field=field,
            condition=condition, threshold=threshold, tenant=tenant,
        )  # fmt: skip

    async def list_monitors(self, tenant: str | None = None) -> list[Row]:
        return await self._all("list_monitors", READ, tenant=tenant)

    async def delete_monitor(self, monitor_id: UUID | str, tenant: str | None = None) -> Row:
        return await self._one("delete_monitor", WRITE, monitor_id=monitor_id, tenant=tenant)
