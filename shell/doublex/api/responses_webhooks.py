"""Response bodies of webhook endpoints and their deliveries (doublex.api.responses)."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from doublex.api.responses import Reply, Timestamp


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
