"""Response bodies of the ledger's books: accounts, their balances (and limits), history and
statements; journals, postings and batches (doublex.api.responses: what every answer is)."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from doublex.api.fields import Money
from doublex.api.responses import Day, Reply, Timestamp


class Account(Reply):
    id: int
    code: str
    name: str
    ccy: str
    type: str
    normal_side: Literal["debit", "credit"] | None = None
    status: Literal["active", "frozen", "closed"]
    allow_negative: bool
    metadata: dict[str, Any] | None = None
    created_at: Timestamp


class AccountPage(Reply):
    items: list[Account]
    next_cursor: str | None


NOW_ONLY = "; null for a balance as of a date (holds have no effective date)"


class Balance(Reply):
    account: str
    ccy: str
    balance: Money = Field(description="The posted balance on the normal side (= posted)")
    debits: Money
    credits: Money
    as_of: Day | None
    snapshot_source: Literal["live", "snapshot"] = Field(
        description="snapshot: as of a closed business date, read from its close"
    )
    # Added by #17; optional in the document so that its earlier readers still validate.
    posted: Money | None = Field(None, description="Every posted leg, on the normal side")
    pending_debits: Money | None = Field(
        None, description="Debit legs of the account's pending holds" + NOW_ONLY
    )
    pending_credits: Money | None = Field(
        None, description="Credit legs of the account's pending holds" + NOW_ONLY
    )
    available: Money | None = Field(
        None,
        description="posted minus the pending legs that would reduce it (pending legs that "
        "would increase it count once captured); what min_balance applies to" + NOW_ONLY,
    )
    min_balance: Money | None = Field(
        None, description="The floor in force (0 for allow_negative false; null: none)" + NOW_ONLY
    )
    max_balance: Money | None = Field(None, description="The ceiling (null: none)" + NOW_ONLY)


class AvailableBalance(Reply):
    account: str
    ccy: str
    posted: Money
    pending_debits: Money
    pending_credits: Money
    available: Money
    min_balance: Money | None = Field(
        description="The floor in force (0 for allow_negative false; null: none)"
    )
    max_balance: Money | None = Field(description="null: none")


class BalanceHistoryEntry(Reply):
    account: str
    ccy: str
    business_date: Day
    opening_balance: Money
    debits: Money
    credits: Money
    closing_balance: Money


class BalanceHistory(Reply):
    items: list[BalanceHistoryEntry]


class StatementLine(Reply):
    kind: Literal["opening", "leg", "closing"] = Field(
        description="opening (first page) and closing (last page) carry the balance only"
    )
    effective_date: Day = Field(description="from (opening), to (closing), the leg's date")
    journal_id: UUID | None
    leg_no: int | None
    created_at: Timestamp | None = Field(description="When the leg's journal was posted")
    journal_kind: Literal["transfer", "fx", "reversal"] | None
    reverses: UUID | None = Field(description="The journal a reversal reverses")
    memo: str | None
    ref: str | None
    side: Literal["debit", "credit"] | None
    amount: Money | None
    debits: Money | None = Field(description="The period's debits (closing row)")
    credits: Money | None = Field(description="The period's credits (closing row)")
    balance: Money = Field(
        description="Opening, running (after the leg) or closing balance, on the normal side"
    )
    cursor: str | None = Field(description="A leg's place: the next page starts after it")


class Statement(Reply):
    items: list[StatementLine]
    next_cursor: str | None = Field(description="null on the page that ends with the closing row")


class Posted(Reply):
    """What every journal answer starts with."""

    journal_id: UUID
    effective_date: Day
    created_at: Timestamp


class PostingResult(Posted):
    status: Literal["posted", "duplicate", "applied"] = Field(
        description="posted (201), or duplicate (200) on a replay; a body of the earlier API "
        "(client_id, entries) answers applied instead of posted"
    )


class BatchItemResult(Reply):
    position: int
    idempotency_key: str | None = None
    journal_id: UUID | None
    status: Literal["posted", "duplicate", "rejected"]
    effective_date: Day | None = None
    created_at: Timestamp | None = None
    error_code: str | None
    error_field: str | None = None
    error_message: str | None


class BatchResult(Reply):
    results: list[BatchItemResult]


class JournalLeg(Reply):
    leg_no: int
    account: str
    side: Literal["debit", "credit"]
    amount: Money
    ccy: str


class Journal(Posted):
    idempotency_key: str | None = None
    kind: Literal["transfer", "fx", "reversal"]
    memo: str | None = None
    ref: str | None = None
    metadata: dict[str, Any] | None = None
    reverses: UUID | None = None
    reversed_by: UUID | None = None
    legs: list[JournalLeg]
    cursor: str


class JournalPage(Reply):
    items: list[Journal]
    next_cursor: str | None
