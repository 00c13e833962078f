"""Response bodies of balance monitors (doublex.api.responses: what every answer is)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from doublex.api.fields import Money
from doublex.api.responses import Reply, Timestamp


class MonitorInfo(Reply):
    monitor_id: UUID
    account: str | None = Field(description="The account watched; null for a monitor of a type")
    account_type: str | None = Field(description="The type watched; null for one account")
    field: Literal["available", "posted"]
    condition: Literal["<", "<=", ">", ">="]
    threshold: Money
    triggered: list[str] = Field(
        description="The codes of the accounts where the condition holds now (monitor.triggered "
        "announced, monitor.resolved not yet)"
    )
    created_at: Timestamp
    created_by: str


class MonitorList(Reply):
    items: list[MonitorInfo]
