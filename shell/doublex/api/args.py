"""The arguments of each operation, one model per route: where each value comes from (path,
query string, header or body), its type and its documentation.

`parse.arguments` fills a model from a request; `document` turns the same model into the
operation's parameters and request body. A handler receives its model, typed.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from doublex.api.bodies_access import ApiKeyCreate, ApiKeyRate
from doublex.api.bodies_fx import FxRateSet, FxTransfer
from doublex.api.bodies_holds import HoldCapture, HoldCreate, HoldVoid
from doublex.api.bodies_ledger import (
    AccountCreate,
    AccountLimits,
    BatchRequest,
    LegacyTransfer,
    Reversal,
    Transfer,
)
from doublex.api.bodies_monitors import MonitorCreate
from doublex.api.bodies_webhooks import WebhookCreate
from doublex.api.fields import (
    BigCursor,
    Ccy,
    Code,
    Documented,
    HoldId,
    IsoDate,
    JournalId,
    Key,
    WholeNumber,
)
from doublex.api.limits import Limit


class In(Enum):
    """Where an argument comes from (the OpenAPI parameter's `in`, or the body)."""

    PATH = "path"
    QUERY = "query"
    HEADER = "header"
    BODY = "body"


class Args(BaseModel):
    """Base of the argument models: strict types, every other query parameter ignored."""

    model_config = ConfigDict(strict=True, extra="ignore")


class NoArgs(Args):
    pass


def _transfer_kind(body: Any) -> str:
    """The earlier API's body is told apart by its fields (entries, client_id)."""
    legacy = isinstance(body, dict) and ("entries" in body or "client_id" in body)
    return "legacy" if legacy else "transfer"


def _any_of(schema: dict[str, Any]) -> None:
    # A body that has both shapes' fields is posted as the earlier API's: either schema
    # admits it (anyOf), not exactly one (oneOf).
    schema["anyOf"] = schema.pop("oneOf")


UNION_TAGS = frozenset({"legacy", "transfer"})
TransferBody = Annotated[
    Annotated[Transfer, Tag("transfer")] | Annotated[LegacyTransfer, Tag("legacy")],
    Discriminator(_transfer_kind),
]
IdempotencyHeader = Annotated[Key | None, In.HEADER]
HEADER_FIELD = Field(
    None, alias="Idempotency-Key", description="Alternative to the body's idempotency_key"
)


# 1 to page_size is the ledger's (DX019); here: a whole number that fits its `integer`.
PageLimit = Annotated[WholeNumber, Documented(minimum=1, maximum=Limit("page_size")), In.QUERY]
HoldStatus = Annotated[str, Documented(enum=["pending", "captured", "voided", "expired"])]


def next_cursor(note: str = "") -> Any:
    """The `cursor` of a paged list: None for the first page."""
    return Field(None, description="next_cursor of the previous page" + note)


class Keyed(Args):
    """A write the client may repeat: its idempotency key in a header (or in the body)."""

    idempotency_key: IdempotencyHeader = HEADER_FIELD


class Page(Args):
    limit: PageLimit = 100
    cursor: Annotated[str | None, In.QUERY] = next_cursor()


class AccountPath(Args):
    code: Annotated[Code, In.PATH]


class BalanceArgs(AccountPath):
    as_of: Annotated[IsoDate | None, In.QUERY] = None


class TrialBalanceArgs(Page):
    as_of: Annotated[IsoDate | None, In.QUERY] = Field(
        None, description="Legs effective on or before this date; omitted: every leg"
    )


class HistoryArgs(AccountPath):
    from_: Annotated[IsoDate | None, In.QUERY] = Field(None, alias="from")
    to: Annotated[IsoDate | None, In.QUERY] = None


class StatementArgs(AccountPath, Page):
    # The period's bounds (both required, at most statement_days days) are the ledger's: DX029.
    limit: Annotated[
        WholeNumber, Documented(minimum=1, maximum=Limit("statement_page_legs")), In.QUERY
    ] = 100
    from_: Annotated[IsoDate, In.QUERY] = Field(alias="from", description="First date")
    to: Annotated[IsoDate, In.QUERY] = Field(description="Last date")


class CreateAccountArgs(Args):
    body: Annotated[AccountCreate, In.BODY]


class TransferArgs(Keyed):
    body: Annotated[TransferBody, In.BODY, Field(json_schema_extra=_any_of)]


class BatchArgs(Args):
    body: Annotated[BatchRequest, In.BODY]


class JournalsArgs(Page):
    from_: Annotated[IsoDate | None, In.QUERY] = Field(None, alias="from")
    to: Annotated[IsoDate | None, In.QUERY] = None
    account: Annotated[Code | None, In.QUERY] = None


class JournalPath(Args):
    journal_id: Annotated[JournalId, In.PATH]


class ReverseArgs(Keyed, JournalPath):
    body: Annotated[Reversal, In.BODY]


class RateSetArgs(Args):
    base: Annotated[Ccy, In.PATH]
    quote: Annotated[Ccy, In.PATH]
    body: Annotated[FxRateSet, In.BODY]


class RateArgs(Args):
    base: Annotated[Ccy, In.QUERY]
    quote: Annotated[Ccy, In.QUERY]
    on: Annotated[IsoDate | None, In.QUERY] = Field(
        None, description="The current business date when left out"
    )


class FxTransferArgs(Keyed):
    body: Annotated[FxTransfer, In.BODY]


class PositionArgs(Args):
    as_of: Annotated[IsoDate | None, In.QUERY] = None
    reporting_ccy: Annotated[Ccy, In.QUERY] = "EUR"  # empty: the ledger's DX005


class ReconDay(Args):
    business_date: Annotated[IsoDate, In.QUERY] = Field(alias="date")


class ReconArgs(ReconDay, Page):
    """A date's reconciliation of one account, its exceptions a page at a time."""

    account: Annotated[Code | None, In.QUERY] = Field(
        None,
        description="The account. May be left out when exactly one account was reconciled "
        "that date; when several were, the answer is 422 naming them",
    )


class ReconPageArgs(ReconDay):
    account: Annotated[Code | None, In.QUERY] = Field(
        None, description="Only this account (default: every account)"
    )


class CreateKeyArgs(Args):
    body: Annotated[ApiKeyCreate, In.BODY]


class KeyPath(Args):
    key_id: Annotated[str, In.PATH, Documented(examples=["dxk_0123456789ab"])]


class KeyRateArgs(KeyPath):
    body: Annotated[ApiKeyRate, In.BODY]


EVENT_TYPES = Field(
    None,
    description="Comma-separated event types (e.g. `journal.posted,hold.created`); omitted: "
    "every type",
)


class EventsArgs(Args):
    after: Annotated[BigCursor, In.QUERY] = Field(
        0, description="The last position read (next_cursor of the previous page); 0: the start"
    )
    types: Annotated[str | None, In.QUERY] = EVENT_TYPES
    limit: Annotated[WholeNumber, Documented(minimum=1, maximum=Limit("page_size")), In.QUERY] = 100


class EventStreamArgs(Args):
    after: Annotated[BigCursor, In.QUERY] = Field(
        0, description="Start after this position (0: the start); Last-Event-ID wins when sent"
    )
    types: Annotated[str | None, In.QUERY] = EVENT_TYPES
    last_event_id: Annotated[BigCursor | None, In.HEADER] = Field(
        None,
        alias="Last-Event-ID",
        description="The id (position) of the last event received: a reconnecting "
        "EventSource sends it, and the stream resumes after it",
    )


class CreateMonitorArgs(Args):
    body: Annotated[MonitorCreate, In.BODY]


class MonitorPath(Args):
    monitor_id: Annotated[JournalId, In.PATH]


class CreateWebhookArgs(Args):
    body: Annotated[WebhookCreate, In.BODY]


class WebhookPath(Args):
    webhook_id: Annotated[str, In.PATH, Documented(examples=["dxw_0123456789ab"])]


class ReplayArgs(WebhookPath):
    from_position: Annotated[BigCursor, In.QUERY] = Field(
        alias="from",
        description="The position of the first event to deliver again (1: the start of the log)",
    )


class DeliveriesArgs(WebhookPath):
    outcome: Annotated[str | None, In.QUERY] = Field(
        None, description="Only `delivered`, `failed` or `dead_letter` attempts; left out: all"
    )
    limit: PageLimit = 100
    cursor: Annotated[BigCursor | None, In.QUERY] = next_cursor()


class AuditArgs(Args):
    limit: PageLimit = 100
    cursor: Annotated[BigCursor | None, In.QUERY] = next_cursor()


class LimitsArgs(AccountPath):
    body: Annotated[AccountLimits, In.BODY]


class HoldCreateArgs(Keyed):
    body: Annotated[HoldCreate, In.BODY]


class HoldPath(Args):
    hold_id: Annotated[HoldId, In.PATH]


class HoldCaptureArgs(Keyed, HoldPath):
    body: Annotated[HoldCapture, In.BODY]


class HoldVoidArgs(Keyed, HoldPath):
    body: Annotated[HoldVoid, In.BODY]


class HoldsArgs(Args):
    account: Annotated[Code | None, In.QUERY] = Field(
        None, description="Only the holds with a leg on this account (404 DX020: no such account)"
    )
    # The words are the ledger's (DX055 for another).
    status: Annotated[HoldStatus | None, In.QUERY] = Field(
        None, description="As the hold reads now: a hold past expires_at is expired"
    )
    limit: PageLimit = 100
    cursor: Annotated[HoldId | None, In.QUERY] = next_cursor(" (holds come oldest first)")
