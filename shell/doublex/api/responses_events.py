"""The event log's response bodies (issue #18): one schema per event type, each with its
documented payload (components/schemas of /api/openapi.json), told apart by `type`.

Every event has its commit-ordered `position` (the cursor: `after`, and the SSE id), a
stable `event_id` to de-duplicate on, its `actor` and `occurred_at` (the start of the
transaction that made the change). Amounts are exact decimal strings.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import Field

from doublex.api.fields import Money
from doublex.api.responses import Day, Reply, Timestamp

Side = Literal["debit", "credit"]


class EventLeg(Reply):
    leg_no: int
    account: str = Field(description="The account's code")
    side: Side
    amount: Money
    ccy: str


class JournalPayload(Reply):
    journal_id: UUID
    kind: Literal["transfer", "fx", "reversal"]
    idempotency_key: str
    effective_date: Day
    memo: str | None
    ref: str | None
    metadata: dict[str, Any]
    reverses: UUID | None = Field(description="The journal a reversal reverses; else null")
    legs: list[EventLeg]


class FxSettledPayload(Reply):
    settlement_id: UUID
    idempotency_key: str
    from_account: str
    to_account: str
    source_amount: Money
    source_ccy: str
    destination_amount: Money
    destination_ccy: str
    rate: Money
    rate_basis: Literal["direct", "inverted", "override"]
    fixed_side: Literal["source", "destination"]
    residual: Money
    residual_ccy: str
    source_journal_id: UUID
    destination_journal_id: UUID
    effective_date: Day


class HoldCreatedPayload(Reply):
    hold_id: UUID
    idempotency_key: str
    expires_at: Timestamp | None
    memo: str | None
    ref: str | None
    metadata: dict[str, Any]
    legs: list[EventLeg]


class HoldResolvedPayload(Reply):
    hold_id: UUID
    idempotency_key: str | None = Field(description="The capture's or void's key; null for expiry")
    journal_id: UUID | None = Field(description="The capture's journal; null otherwise")


class AccountLimitSettings(Reply):
    allow_negative: bool
    min_balance: Money | None
    max_balance: Money | None
    max_leg_amount: Money | None


class AccountCreatedPayload(AccountLimitSettings):
    code: str
    name: str
    ccy: str
    type: str
    status: Literal["active", "frozen", "closed"]
    metadata: dict[str, Any]


class AccountStatusChangedPayload(Reply):
    code: str
    from_: Literal["active", "frozen", "closed"] = Field(alias="from")
    to: Literal["active", "frozen", "closed"]


class AccountLimitsChangedPayload(Reply):
    code: str
    from_: AccountLimitSettings = Field(alias="from")
    to: AccountLimitSettings


class DayClosedPayload(Reply):
    business_date: Day
    closed_at: Timestamp
    journals: int
    legs: int
    accounts: int
    seal: str = Field(description="The day's seal, SHA-256 in hex (ledger.verify_seals)")


class ReconFinishedPayload(Reply):
    run_id: int
    account: str
    business_date: Day
    tolerance: Money
    statement_lines: int
    legs: int
    matched: int
    amount_mismatch: int
    missing_in_ledger: int
    missing_in_bank: int
    exceptions: int = Field(description="amount_mismatch + missing_in_ledger + missing_in_bank")
    bank_total: Money
    ledger_total: Money


class KeyPayload(Reply):
    key_id: str
    name: str
    capabilities: list[str]
    expires_at: Timestamp | None
    revoked_at: Timestamp | None


class MonitorPayload(Reply):
    monitor_id: UUID
    account: str = Field(description="The account's code (one of a monitor's type, too)")
    ccy: str
    field: Literal["available", "posted"]
    condition: Literal["<", "<=", ">", ">="]
    threshold: Money
    value: Money = Field(description="The balance that crossed, in the currency's decimals")


class EventBase(Reply):
    position: int = Field(description="Commit-ordered position: the cursor (`after`, SSE id)")
    event_id: UUID = Field(description="Stable id, to de-duplicate on")
    actor: str
    occurred_at: Timestamp


class JournalPostedEvent(EventBase):
    type: Literal["journal.posted"]
    payload: JournalPayload


class JournalReversedEvent(EventBase):
    type: Literal["journal.reversed"]
    payload: JournalPayload


class FxSettledEvent(EventBase):
    type: Literal["fx.settled"]
    payload: FxSettledPayload


class HoldCreatedEvent(EventBase):
    type: Literal["hold.created"]
    payload: HoldCreatedPayload


class HoldResolvedEvent(EventBase):
    type: Literal["hold.captured", "hold.voided", "hold.expired"]
    payload: HoldResolvedPayload


class AccountCreatedEvent(EventBase):
    type: Literal["account.created"]
    payload: AccountCreatedPayload


class AccountStatusChangedEvent(EventBase):
    type: Literal["account.status_changed"]
    payload: AccountStatusChangedPayload


class AccountLimitsChangedEvent(EventBase):
    type: Literal["account.limits_changed"]
    payload: AccountLimitsChangedPayload


class DayClosedEvent(EventBase):
    type: Literal["day.closed"]
    payload: DayClosedPayload


class ReconFinishedEvent(EventBase):
    type: Literal["recon.finished"]
    payload: ReconFinishedPayload


class KeyEvent(EventBase):
    type: Literal["key.created", "key.revoked"]
    payload: KeyPayload


class MonitorEvent(EventBase):
    """A balance monitor's condition became true (triggered) or stopped being true
    (resolved), announced once per crossing in the transaction of the change."""

    type: Literal["monitor.triggered", "monitor.resolved"]
    payload: MonitorPayload


Event = Annotated[
    JournalPostedEvent
    | JournalReversedEvent
    | FxSettledEvent
    | HoldCreatedEvent
    | HoldResolvedEvent
    | AccountCreatedEvent
    | AccountStatusChangedEvent
    | AccountLimitsChangedEvent
    | DayClosedEvent
    | ReconFinishedEvent
    | KeyEvent
    | MonitorEvent,
    Field(discriminator="type"),
]


class EventPage(Reply):
    items: list[Event]
    next_cursor: str | None = Field(
        description="The last position of a full page (pass it as `after`); null when the "
        "page is not full: the reader is at the end of the log for now"
    )
