"""The catalogue's calls about holds and account limits (a mixin of `doublex.db.Ledger`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from doublex.db.calls import Calls, conditions_json
from doublex.db.runner import READ, SERVICE, WRITE, Row


class HoldsCalls(Calls):
    """Holds (create, capture, void, expire, read) and account limits."""

    # -- holds and limits (issue #17) ----------------------------------------------------------

    async def create_hold(
        self,
        idempotency_key: str,
        legs: Sequence[Mapping[str, Any]] | Any,
        expires_at: datetime | None = None,
        memo: str | None = None,
        ref: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        conditions: Sequence[Mapping[str, Any]] | Any | None = None,
        tenant: str | None = None,
    ) -> Row:
        return await self._one(
            "create_hold", WRITE, idempotency_key=idempotency_key, legs=Jsonb(legs),
            expires_at=expires_at, memo=memo, ref=ref,
            metadata=Jsonb(metadata if metadata is not None else {}),
            conditions=conditions_json(conditions), tenant=tenant,
        )  # fmt: skip

    async def capture_hold(
        self,
        hold_id: UUID | str,
        idempotency_key: str,
        amounts: Sequence[str] | Any = None,
        effective_date: date | None = None,
        conditions: Sequence[Mapping[str, Any]] | Any | None = None,
        tenant: str | None = None,
    ) -> Row:
        return await self._one(
            "capture_hold", WRITE, hold_id=hold_id, idempotency_key=idempotency_key,
            amounts=None if amounts is None else Jsonb(amounts),
            effective_date=effective_date, conditions=conditions_json(conditions), tenant=tenant,
        )  # fmt: skip

    async def void_hold(
        self, hold_id: UUID | str, idempotency_key: str, tenant: str | None = None
    ) -> Row:
        return await self._one(
            "void_hold", WRITE, hold_id=hold_id, idempotency_key=idempotency_key, tenant=tenant
        )

    async def get_hold(self, hold_id: UUID | str, tenant: str | None = None) -> Row:
        return await self._one("get_hold", READ, hold_id=hold_id, tenant=tenant)

    async def list_holds(
        self,
        account: str | None = None,
        status: str | None = None,
        after_id: UUID | str | None = None,
        page_size: int = 100,
        tenant: str | None = None,
    ) -> list[Row]:
        return await self._all(
            "list_holds", READ, account=account, status=status, after_id=after_id,
            page_size=page_size, tenant=tenant,
        )  # fmt: skip

    async def expire_holds(self, tenant: str | None = None) -> int:
        row = await self._one("expire_holds", WRITE, tenant=tenant)
        return int(row["expire_holds"])

    async def sweep_expired_holds(self) -> dict[str, int]:
        """Mark the holds past their expiry in every tenant (the service's own call, no
        key): tenant → how many it marked (the tenants it marked none of are left out)."""
        rows = await self._all("sweep_expired_holds", SERVICE)
        return {row["tenant"]: int(row["expired"]) for row in rows}

    async def set_account_limits(
        self,
        code: str,
        min_balance: Decimal | None = None,
        max_balance: Decimal | None = None,
        tenant: str | None = None,
    ) -> Row:
        return await self._one(
            "set_account_limits", WRITE, code=code, min_balance=min_balance,
            max_balance=max_balance, tenant=tenant,
        )  # fmt: skip

    async def get_available_balance(self, account: str, tenant: str | None = None) -> Row:
        return await self._one("get_available_balance", READ, account=account, tenant=tenant)
