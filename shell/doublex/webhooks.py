"""The webhook delivery worker: `doublex serve` runs it in the background, `doublex webhooks
deliver` in the foreground (README, "Webhooks"; the state is the ledger's, sql/README.md).

One asyncio task per live endpoint (the endpoint list is re-read every
`endpoints_seconds`), so a slow or failing endpoint never delays another's deliveries. A
task claims the endpoint's next events (ledger.claim_webhook_events: a page after its
cursor, when the endpoint is due and no other worker holds it), POSTs them in order, at most
`concurrency` in flight, starts no further one after a failure, and records what became of
each (ledger.record_webhook_deliveries: the history, the cursor, the backoff, dead letters).
Each request carries the event as GET /api/events shows it, `Event-Id` (de-duplicate on
it: delivery is at least once; a claim whose worker died is delivered again when its lease
runs out), `DoubleX-Event-Type` and `DoubleX-Signature` (doublex.webhook_signature). A 2xx
answer within `timeout_seconds` delivers; anything else fails. Redirects are not followed.

Addresses: unless `allow_private` (DOUBLEX_WEBHOOK_ALLOW_PRIVATE), only global addresses
are reached: a URL whose host is, or resolves to, a loopback, private, link-local or
otherwise non-global address fails with "address not allowed" (checked when connecting, so
a name that changes its address after the endpoint was created is caught too).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from doublex import errors, metrics
from doublex.config import WebhookSettings
from doublex.db import Ledger
from doublex.db.ledger_webhooks import Attempts
from doublex.db.runner import Row
from doublex.webhook_signature import HEADER, sign

LOG = logging.getLogger("doublex.webhooks")
USER_AGENT = "DoubleX-Webhooks/1"


class AddressNotAllowed(OSError):
    """A webhook host that is, or resolves to, a non-global address."""


def allowed_address(address: str) -> bool:
    """A global unicast address (not loopback, private, link-local, multicast, reserved)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return ip.is_global and not ip.is_multicast


class GlobalOnlyResolver(AbstractResolver):
    """aiohttp's default resolver, answering only global addresses."""

    def __init__(self) -> None:
        self._inner = aiohttp.DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        kept = [r for r in found if allowed_address(r["host"])]
        if not kept:
            raise AddressNotAllowed(f"address not allowed: {host} is not a global address")
        return kept

    async def close(self) -> None:
        await self._inner.close()


class Deliverer:
    """The worker: one task per live endpoint, the lag gauge, a wake-up for new events."""

    def __init__(self, ledger: Ledger, settings: WebhookSettings) -> None:
        self.ledger = ledger
        self.settings = settings
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._wakes: dict[str, asyncio.Event] = {}
        self._session: aiohttp.ClientSession | None = None

    def wake(self, _: Any = None) -> None:
        """New events were sequenced: idle endpoints look at once (the sequencer's on_batch)."""
        for event in self._wakes.values():
            event.set()

    @contextlib.asynccontextmanager
    async def connected(self) -> AsyncIterator[None]:
        """The HTTP client the attempts use (`turn` needs it), with the address guard."""
        connector = aiohttp.TCPConnector(
            limit=0,
            resolver=None if self.settings.allow_private else GlobalOnlyResolver(),
        )
        timeout = aiohttp.ClientTimeout(total=self.settings.timeout_seconds)
        async with aiohttp.ClientSession(
            connector=connector, timeout=timeout, headers={"User-Agent": USER_AGENT}
        ) as session:
            self._session = session
            try:
                yield
            finally:
                self._session = None

    async def run(self, *, until_idle: bool = False) -> None:
        """Deliver until cancelled; with `until_idle`, until no endpoint has an event it is
        due to be sent (for `doublex webhooks deliver --once` and tests)."""
        async with self.connected():
            try:
                if until_idle:
                    await self._drain()
                else:
                    await self._supervise()
            finally:
                for task in self._tasks.values():
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.gather(*self._tasks.values(), return_exceptions=True)
                self._tasks.clear()

    async def _supervise(self) -> None:
        while True:
            try:
                endpoints = await self.ledger.webhook_endpoints()
            except errors.LedgerError as exc:
                LOG.warning("webhook endpoints unreadable: %s", exc.message)
            else:
                self._follow(endpoints)
            await asyncio.sleep(self.settings.endpoints_seconds)

    def _follow(self, endpoints: list[Row]) -> None:
        """One task per live endpoint; the lag gauge: the oldest undelivered event's age."""
        live = {row["webhook_id"] for row in endpoints}
        metrics.WEBHOOK_LAG.set(max((row["lag_seconds"] for row in endpoints), default=0.0))
        for webhook_id in list(self._tasks):
            if webhook_id not in live or self._tasks[webhook_id].done():
                self._tasks.pop(webhook_id).cancel()
                self._wakes.pop(webhook_id, None)
        for webhook_id in live - self._tasks.keys():
            self._wakes[webhook_id] = asyncio.Event()
            self._tasks[webhook_id] = asyncio.create_task(self._endpoint(webhook_id))

    async def _drain(self) -> None:
        """Every endpoint, turn by turn, until a turn of all of them finds nothing due."""
        while True:
            endpoints = await self.ledger.webhook_endpoints()
            metrics.WEBHOOK_LAG.set(max((row["lag_seconds"] for row in endpoints), default=0.0))
            busy = await asyncio.gather(*(self.turn(row["webhook_id"]) for row in endpoints))
            if not any(busy):
                return

    async def _endpoint(self, webhook_id: str) -> None:
        wake = self._wakes[webhook_id]
        while True:
            try:
                busy = await self.turn(webhook_id)
            except errors.LedgerError as exc:
                LOG.warning("webhook %s: %s", webhook_id, exc.message)
                busy = False
            if busy:
                continue
            wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), self.settings.poll_seconds)

    async def turn(self, webhook_id: str) -> bool:
        """Claim, send, record once; True when something was sent."""
        s = self.settings
        claim = await self.ledger.claim_webhook_events(webhook_id, s.page_size, s.lease_seconds)
        if not claim:
            return False
        attempts = await self._send(claim, time.monotonic() + s.lease_seconds * 0.8)
        result = await self.ledger.record_webhook_deliveries(
            webhook_id, claim[0]["claim_token"], attempts, s
        )
        metrics.WEBHOOK_DELIVERIES.labels(outcome="delivered").inc(result["delivered"])
        metrics.WEBHOOK_DELIVERIES.labels(outcome="failed").inc(result["failed"])
        if result["dead_lettered"]:
            metrics.WEBHOOK_DELIVERIES.labels(outcome="dead_letter").inc(result["dead_lettered"])
            metrics.WEBHOOK_DEAD_LETTERS.inc(result["dead_lettered"])
            LOG.warning("webhook %s: %s dead letter(s)", webhook_id, result["dead_lettered"])
        return True

    async def _send(self, claim: list[Row], lease_ends: float) -> Attempts:
        """POST the claim's events, in order and at most `concurrency` in flight; after a
        failure, or once the lease nears its end, no further one starts. Answers the
        attempts made: always a prefix of the claim."""
        window = asyncio.Semaphore(max(1, self.settings.concurrency))
        stop = False

        async def attempt(row: Row) -> tuple[int | None, str | None, int]:
            nonlocal stop
            try:
                answer = await self._post(row)
                if answer[0] is None or not 200 <= answer[0] < 300:
                    stop = True
                return answer
            finally:
                window.release()

        started: list[asyncio.Task[tuple[int | None, str | None, int]]] = []
        for row in claim:  # started one by one in position order: the attempts are a prefix
            await window.acquire()
            if stop or time.monotonic() >= lease_ends:
                window.release()
                break
            started.append(asyncio.create_task(attempt(row)))
        answers = await asyncio.gather(*started)
        done = Attempts([], [], [], [], [])
        for row, (status, error, ms) in zip(claim, answers, strict=False):
            done.positions.append(row["position"])
            done.event_ids.append(row["event_id"])
            done.statuses.append(status)
            done.errors.append(error)
            done.durations_ms.append(ms)
        return done

    async def _post(self, row: Row) -> tuple[int | None, str | None, int]:
        """One attempt: (status or None, why it failed or None, milliseconds)."""
        assert self._session is not None
        body = row["body"].encode()
        event_id: UUID = row["event_id"]
        headers = {
            "Content-Type": "application/json",
            "Event-Id": str(event_id),
            "DoubleX-Event-Type": row["type"],
            HEADER: sign(row["secret"], body),
        }
        started = time.monotonic()

        def elapsed() -> int:
            return round((time.monotonic() - started) * 1000)

        try:
            check_host(row["url"], self.settings.allow_private)
            async with self._session.post(
                row["url"], data=body, headers=headers, allow_redirects=False
            ) as answer:
                await answer.read()
                return answer.status, None, elapsed()
        except TimeoutError:
            return None, f"timeout after {self.settings.timeout_seconds:g} s", elapsed()
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            return None, describe(exc), elapsed()


def check_host(url: str, allow_private: bool) -> None:
    """Refuse a URL whose host is a non-global IP literal (names: GlobalOnlyResolver)."""
    if allow_private:
        return
    host = (urlsplit(url).hostname or "").strip("[]")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return  # a name: resolved, and checked, when connecting
    if not allowed_address(host):
        raise AddressNotAllowed(f"address not allowed: {host} is not a global address")


def describe(exc: BaseException) -> str:
    """A failed attempt's reason for the history, without internals."""
    if isinstance(exc, AddressNotAllowed):
        return str(exc)
    cause = exc.__cause__ if isinstance(exc, aiohttp.ClientConnectorError) else None
    text = str(cause or exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:500]


async def deliver(
    ledger: Ledger,
    settings: WebhookSettings,
    *,
    once: bool = False,
    started: Callable[[Deliverer], None] | None = None,
) -> None:
    """Run a worker until cancelled, or with `once` until nothing is due."""
    worker = Deliverer(ledger, settings)
    if started is not None:
        started(worker)
    await worker.run(until_idle=once)
