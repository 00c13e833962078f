"""The catalogue's calls about webhooks (a mixin of `doublex.db.Ledger`): a tenant admin's
endpoints, their history and replays; the delivery worker's claims and records
(doublex.webhooks), which the service's login runs without a key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from doublex.config import WebhookSettings
from doublex.db.calls import Calls
from doublex.db.runner import READ, ROLL_UP, WRITE, Row


@dataclass(frozen=True)
class Attempts:
    """What became of a claim's events, in the claim's order: one element per event sent
    (status None: no answer, `errors` says why)."""

    positions: list[int]
    event_ids: list[UUID]
    statuses: list[int | None]
    errors: list[str | None]
    durations_ms: list[int]


class WebhooksCalls(Calls):
    """Webhooks (issue #18)."""

    async def create_webhook(
        self,
        url: str,
        types: Sequence[str] | None = None,
        secret: str | None = None,
        tenant: str | None = None,
    ) -> Row:
        """A new endpoint; its secret is in this answer only."""
        return await self._one(
            "create_webhook", WRITE, url=url, types=None if types is None else list(types),
            secret=secret, tenant=tenant,
        )  # fmt: skip

    async def list_webhooks(self, tenant: str | None = None) -> list[Row]:
        return await self._all("list_webhooks", READ, tenant=tenant)

    async def delete_webhook(self, webhook_id: str, tenant: str | None = None) -> Row:
        return await self._one("delete_webhook", WRITE, webhook_id=webhook_id, tenant=tenant)

    async def replay_webhook(
        self, webhook_id: str, from_position: int, tenant: str | None = None
    ) -> Row:
        return await self._one(
            "replay_webhook", WRITE, webhook_id=webhook_id, from_position=from_position,
            tenant=tenant,
        )  # fmt: skip

    async def list_webhook_deliveries(
        self,
        webhook_id: str,
        outcome: str | None = None,
        before: int | None = None,
        page_size: int = 100,
        tenant: str | None = None,
    ) -> list[Row]:
        return await self._all(
            "list_webhook_deliveries", READ, webhook_id=webhook_id, outcome=outcome,
            before=before, page_size=page_size, tenant=tenant,
        )  # fmt: skip

    async def webhook_endpoints(self) -> list[Row]:
        """The live endpoints of every tenant with their oldest undelivered event's age."""
        return await self._all("webhook_endpoints", ROLL_UP)

    async def claim_webhook_events(
        self, webhook_id: str, page_size: int, lease_seconds: float
    ) -> list[Row]:
        """The next events of a due endpoint, held for `lease_seconds`; [] when none."""
        return await self._all(
            "claim_webhook_events", ROLL_UP, webhook_id=webhook_id, page_size=page_size,
            lease_seconds=lease_seconds,
        )  # fmt: skip

    async def record_webhook_deliveries(
        self, webhook_id: str, claim_token: UUID, attempts: Attempts, retry: WebhookSettings
    ) -> Row:
        """Record a claim's attempts (the backoff and give-up window from `retry`):
        delivered, failed, dead_lettered, cursor, next_attempt_at."""
        return await self._one(
            "record_webhook_deliveries", ROLL_UP, webhook_id=webhook_id,
            claim_token=claim_token, positions=attempts.positions, event_ids=attempts.event_ids,
            statuses=attempts.statuses, errors=attempts.errors,
            durations_ms=attempts.durations_ms, retry_base_seconds=retry.retry_base_seconds,
            retry_cap_seconds=retry.retry_cap_seconds, give_up_seconds=retry.give_up_seconds,
        )  # fmt: skip
