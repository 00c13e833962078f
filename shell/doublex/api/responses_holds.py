"""Response bodies of holds (doublex.api.responses: what every answer is)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from doublex.api.fields import Money
from doublex.api.responses import Day, Reply, Timestamp

HOLD_STATUS = Literal["pending", "captured", "voided", "expired"]


class HoldCreated(Reply):
    hold_id: UUID
    status: Literal["pending", "duplicate"] = Field(
        description="pending (201), or duplicate (200) on a replay of the same request"
    )
    expires_at: Timestamp | None
    created_at: Timestamp


class HoldResolution(Reply):
    hold_id: UUID
    status: Literal["captured", "voided", "duplicate"] = Field(
        description="captured (201) or voided (200), or duplicate (200) on a replay"
    )
    journal_id: UUID | None = Field(description="The capture's journal (null: a void)")
    effective_date: Day | None
    resolved_at: Timestamp


class HoldLeg(Reply):
    account: str
    side: Literal["debit", "credit"]
    amount: Money
    ccy: str


class Hold(Reply):
    hold_id: UUID
    status: HOLD_STATUS = Field(description="A hold past expires_at reads expired")
    expires_at: Timestamp | None
    memo: str | None = None
    ref: str | None = None
    metadata: dict[str, Any] | None = None
    legs: list[HoldLeg]
    created_at: Timestamp
    created_by: str
    journal_id: UUID | None = Field(description="The capture's journal")
    resolved_at: Timestamp | None
    resolved_by: str | None


class HoldPage(Reply):
    items: list[Hold]
    next_cursor: str | None
