"""Response bodies of FX: rates, settlements, the open position (doublex.api.responses)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from doublex.api.fields import Ccy, Documented, Money
from doublex.api.limits import Limit, Text
from doublex.api.responses import Day, Reply, Timestamp


class FxQuote(Reply):
    base: Ccy
    quote: Ccy
    rate: Money
    valid_on: Day
    direction: Annotated[
        Literal["direct", "inverted"],
        Documented(
            description=Text(
                "inverted: 1/rate of the stored inverse pair (half-even, {dp} dp)",
                dp=Limit("fx_rate_decimals"),
            )
        ),
    ]
    source: str | None


class FxSettlement(Reply):
    settlement_id: UUID
    status: Literal["posted", "duplicate"]
    idempotency_key: str | None = None
    from_account: str | None = None
    to_account: str | None = None
    source_ccy: str | None = None
    destination_ccy: str | None = None
    source_amount: Money
    destination_amount: Money
    rate: Money
    rate_basis: Literal["direct", "inverted", "override"] | None = None
    rate_valid_on: Day | None = None
    fixed_side: Literal["source", "destination"] | None = None
    residual: Money = Field(description="exact minus rounded computed amount, in residual_ccy")
    residual_ccy: str | None = None
    source_journal_id: UUID
    destination_journal_id: UUID
    effective_date: Day | None = None
    created_at: Timestamp | None = None


class FxPositionItem(Reply):
    ccy: str
    clearing_account: str
    position: Money = Field(description="positive = long")
    reporting_ccy: str | None = None
    rate: Money | None
    rate_valid_on: Day | None = None
    value: Money | None


class FxPosition(Reply):
    as_of: Day | None
    reporting_ccy: str
    items: list[FxPositionItem]
