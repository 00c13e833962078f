"""Response bodies, declared once: /api/openapi.json publishes them (serialisation schemas).

The handlers answer with the ledger's rows as they come (jsonio writes Decimal as strings);
these classes say what those rows look like, and Schemathesis checks every answer against
them. Amounts are exact decimal strings (`Money`), never JSON numbers.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from doublex.api.fields import Ccy, Documented, Money
from doublex.api.limits import Limit, Text

Day = date
Timestamp = datetime


class Reply(BaseModel):
    """A response body (never validated at run time: the ledger's row is the answer)."""


class ProblemItem(BaseModel):
    field: str
    message: str


class Problem(Reply):
    type: str
    title: str
    status: int
    code: str = Field(description="DX code (sql/errors.md) or shell code")
    detail: str
    hint: str | None = None
    errors: list[ProblemItem]


class HealthMigrations(Reply):
    applied: int | None = None
    latest: str | None = None
    pending: list[str] | None = None


class Health(Reply):
    status: Literal["ok", "degraded", "unavailable"]
    version: str
    database: str
    migrations: HealthMigrations | None = Field(
        description="null when the database cannot be reached"
    )


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


class EodStatus(Reply):
    tenant: str
    time_zone: str = Field(examples=["UTC"])
    cutoff: str = Field(description="Local time the business day ends")
    business_date: Day
    latest_closed_date: Day | None
    last_closed_at: Timestamp | None = None
    last_seal: str | None = Field(None, description="Hex SHA-256")
    open_dates: list[Day]
    next_posting_date: Day


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


class Liveness(Reply):
    status: Literal["ok"]
    version: str


class Readiness(Reply):
    status: Literal["ready", "not_ready"]
    database: str = Field(description="ok, unreachable, or migrations pending")
    pending: list[str] = Field(description="Migrations this version knows and the database lacks")


class TrialBalanceLine(Reply):
    code: str
    name: str
    type: str
    ccy: str
    normal_side: Literal["debit", "credit"]
    debits: Money
    credits: Money
    balance: Money = Field(description="On the account's normal side")


class TrialBalanceTotal(Reply):
    ccy: str
    accounts: int
    debits: Money
    credits: Money
    net: Money = Field(description="debits - credits: zero in every currency")


class TrialBalance(Reply):
    as_of: Day | None
    items: list[TrialBalanceLine]
    next_cursor: str | None
    totals: list[TrialBalanceTotal] = Field(description="Every account of the tenant, per currency")


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


class ReconException(Reply):
    kind: Literal["amount_mismatch", "missing_in_ledger", "missing_in_bank"]
    ref: str | None = Field(description="Statement ref, else the journal's")
    delta: Money = Field(description="Bank amount minus ledger amount (missing side: 0)")
    amount: Money = Field(description="The bank's amount, else the ledger's")
    line: int | None = Field(
        description="Line number in the statement file (null: missing_in_bank)"
    )


class ReconReport(Reply):
    model_config = ConfigDict(
        json_schema_extra={
            "description": "The latest reconciliation run of an account and date. Amounts are "
            "signed as the bank sees them: money into the account is positive."
        }
    )

    date: Day
    account: str
    ledger_total: Money
    bank_total: Money
    matched: Annotated[int, Documented(minimum=0)]
    unmatched: Annotated[int, Documented(minimum=0)] = Field(description="Exceptions")
    exceptions: list[ReconException] = Field(description="One page of the exceptions, in order")
    next_cursor: str | None = Field(
        description="cursor of the next page of exceptions (null: this page is the last)"
    )


class Tenant(Reply):
    name: str
    created_at: Timestamp
    created_by: str
    accounts: int
    active_keys: int


class ApiKey(Reply):
    key_id: str = Field(description="The key's visible id (the token's part before the dot)")
    name: str
    capabilities: list[str]
    expires_at: Timestamp | None
    created_at: Timestamp
    created_by: str | None = None
    requests_per_second: int = Field(description="Rate limit: requests per second")
    burst: int = Field(description="Rate limit: requests at once after a pause")


class ApiKeyCreated(ApiKey):
    token: str = Field(description="The key: shown this once, stored only as a hash")


class ApiKeyListItem(ApiKey):
    revoked_at: Timestamp | None = None
    revoked_by: str | None = None


class ApiKeyList(Reply):
    items: list[ApiKeyListItem]


class Webhook(Reply):
    webhook_id: str
    url: str
    types: list[str] | None = Field(description="The event types it receives; null: all")
    created_at: Timestamp


class WebhookCreated(Webhook):
    secret: str = Field(
        description="Signs each delivery (DoubleX-Signature): shown this once, keep it"
    )
    created_by: str


class WebhookListItem(Webhook):
    created_by: str
    deleted_at: Timestamp | None
    cursor: int = Field(description="The last position of the event log it is done with")
    attempts: int = Field(description="Failed attempts in a row (0: healthy)")
    failing_since: Timestamp | None
    next_attempt_at: Timestamp | None = Field(description="When a failing endpoint is tried again")
    last_error: str | None


class WebhookList(Reply):
    items: list[WebhookListItem]


class WebhookDelivery(Reply):
    delivery_id: int
    position: int = Field(description="The event's position in the event log")
    event_id: UUID = Field(description="The Event-Id header of the delivery")
    attempt: int = Field(description="The attempt's number in the endpoint's failing streak")
    outcome: Literal["delivered", "failed", "dead_letter"]
    status: int | None = Field(description="The endpoint's HTTP status; null: no answer")
    error: str | None = Field(description="Why it failed (a timeout, a refused connection, …)")
    duration_ms: int | None
    attempted_at: Timestamp


class WebhookDeliveryPage(Reply):
    items: list[WebhookDelivery]
    next_cursor: str | None


class AuditEntry(Reply):
    audit_id: int
    at: Timestamp
    actor: str
    action: str
    object: str | None = None
    details: dict[str, Any] | None = None


class AuditPage(Reply):
    items: list[AuditEntry]
    next_cursor: str | None


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
