"""Request coalescing (README, "Request coalescing"): concurrent transfers of one API key
are posted by one `ledger.post_journals` call in one SERIALIZABLE transaction, and each
request still gets exactly its own answer.

**Window (group commit).** A transfer whose key has no posting in flight goes at once, alone,
by `ledger.post_journal`: the path of `DOUBLEX_COALESCE=off`, so an idle service adds no
wait. Transfers that arrive while a posting of the same key is in flight queue up, and the
queue leaves as one batch of at most `max_batch` when a posting of that key ends, when it
holds `max_batch`, or when its oldest has waited `max_wait_ms`, whichever comes first. So
batches grow with the load and no request waits longer than `max_wait_ms` for its batch to
start. A batch of one goes alone.

**Grouping.** One queue per API key (`PRINCIPAL`): the ledger acts as one key per
transaction, so a batch never mixes callers or tenants. Calls naming a client id (the
earlier API's transfers) or a tenant go alone.

**Answers.** A member the batch answers `posted` or `duplicate` gets that row, the answer of
`ledger.post_journal`. A member the batch `rejected` wrote nothing (its own subtransaction
was rolled back) and is posted again alone, in its own request, by `ledger.post_journal`,
which answers it exactly as it would have been answered alone: the same problem document,
its DETAIL and HINT included (the batch's rows carry only code, field and message). When the
whole call fails with an error of the ledger (a DX code raised before any request, a lock
or statement timeout, no connection, retries exhausted), every member goes alone: one bad
request never fails its neighbours. Only `outcome_unknown` (the connection broke during
COMMIT, so the batch may have committed) is every member's answer, as it would have been
alone: each replays with its key. A member whose request ends while it is queued (its
deadline) leaves the queue and is never posted.

**Retries.** The runner retries a 40001/40P01 of the batch as a whole: a new transaction
with the same requests, in which nothing of the failed attempt exists, so every key is
claimed anew and a replay inside the batch is still a `duplicate`.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from opentelemetry.trace import SpanContext

from doublex import errors
from doublex.config import CoalesceSettings
from doublex.db import instrument
from doublex.db.ledger import Ledger
from doublex.db.principal import PRINCIPAL
from doublex.db.runner import Row

T = TypeVar("T")
ANSWERED = ("posted", "duplicate")  # statuses of post_journals that are a member's answer
RESULT_FIELDS = ("journal_id", "status", "effective_date", "created_at")  # post_journal's row


@dataclass(eq=False)
class _Member:
    """A queued transfer: its request as post_journals takes it, and where its answer goes
    (a row; None: post it alone; an exception: raise it)."""

    request: dict[str, Any]
    answer: asyncio.Future[Row | None]
    queued: float  # time.perf_counter()
    span: SpanContext
    batch: SpanContext | None = None
    size: int = 0


@dataclass(eq=False)
class _Lane:
    """The postings of one API key: the queue, and how many postings are in flight."""

    queue: list[_Member] = field(default_factory=list)
    in_flight: int = 0
    timer: asyncio.TimerHandle | None = None


class Coalescer:
    """`post_journal` with the signature of `Ledger.post_journal`, coalescing concurrent
    calls of one API key (settings.enabled) or passing each straight to the ledger."""

    def __init__(self, ledger: Ledger, settings: CoalesceSettings) -> None:
        self.ledger = ledger
        self.settings = settings
        self._lanes: dict[str, _Lane] = {}
        self._batches: set[asyncio.Task[None]] = set()

    async def post_journal(
        self,
        idempotency_key: str,
        legs: Any,
        effective_date: date | None = None,
        memo: str | None = None,
        ref: str | None = None,
        metadata: dict[str, Any] | None = None,
        conditions: Any = None,
        tenant: str | None = None,
        *,
        client_id: str | None = None,
    ) -> Row:
        def alone() -> Awaitable[Row]:
            return self.ledger.post_journal(
                idempotency_key, legs, effective_date, memo, ref, metadata, conditions, tenant,
                client_id=client_id,
            )  # fmt: skip

        if not self.settings.enabled or client_id is not None or tenant is not None:
            return await alone()
        key = PRINCIPAL.get()
        lane = self._lanes.get(key)
        if lane is None or (lane.in_flight == 0 and not lane.queue):
            instrument.coalesced_alone()
            return await self._in_flight(key, alone)
        request = {
            "idempotency_key": idempotency_key,
            "legs": legs,
            "effective_date": effective_date.isoformat() if effective_date else None,
            "memo": memo,
            "ref": ref,
            "metadata": metadata,
            "conditions": conditions,
        }
        # Left out when None, as post_journal's NULL arguments: a JSON null is not always one.
        answer = await self._queued(key, lane, {k: v for k, v in request.items() if v is not None})
        return answer if answer is not None else await self._in_flight(key, alone)

    async def _in_flight(self, key: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run a posting of `key`, counted in flight: transfers of the key queue behind it."""
        lane = self._lanes.setdefault(key, _Lane())
        lane.in_flight += 1
        try:
            return await call()
        finally:
            lane.in_flight -= 1
            self._after(key, lane)

    def _after(self, key: str, lane: _Lane) -> None:
        """A posting of `key` ended: its queue leaves now (group commit), or an idle lane goes."""
        if lane.queue:
            self._flush(key, lane)
        elif lane.in_flight == 0 and self._lanes.get(key) is lane:
            del self._lanes[key]

    async def _queued(self, key: str, lane: _Lane, request: dict[str, Any]) -> Row | None:
        """Queue `request` for the next batch of `key`; its answer (None: post it alone)."""
        with instrument.coalesced_member() as span:
            member = _Member(
                request,
                asyncio.get_running_loop().create_future(),
                time.perf_counter(),
                span.get_span_context(),
            )
            lane.queue.append(member)
            if len(lane.queue) >= self.settings.max_batch:
                self._flush(key, lane)
            elif lane.timer is None:
                self._arm(key, lane, self.settings.max_wait_ms / 1000)
            try:
                answer = await member.answer
            except asyncio.CancelledError:
                if member in lane.queue:  # its request ended before its batch left
                    lane.queue.remove(member)
                    if not lane.queue:
                        self._disarm(lane)
                        self._after(key, lane)
                raise
            instrument.member_answered(span, member.batch, member.size, answer, member.queued)
            return answer

    def _arm(self, key: str, lane: _Lane, seconds: float) -> None:
        lane.timer = asyncio.get_running_loop().call_later(seconds, self._flush, key, lane)

    @staticmethod
    def _disarm(lane: _Lane) -> None:
        if lane.timer is not None:
            lane.timer.cancel()
            lane.timer = None

    def _flush(self, key: str, lane: _Lane) -> None:
        """The queue (never empty here, never longer than max_batch: it leaves when it is
        full) leaves as one batch; a batch of one goes alone."""
        self._disarm(lane)
        members, lane.queue = lane.queue, []
        now = time.perf_counter()
        instrument.batch_formed([(now - member.queued) * 1000 for member in members])
        if len(members) == 1:
            members[0].answer.set_result(None)
            return
        # Counted in flight from now, so arrivals queue behind it. Its own task, acting as
        # the key: no request's deadline or cancellation cuts the others' batch.
        lane.in_flight += 1
        context = contextvars.Context()
        context.run(PRINCIPAL.set, key)
        task = asyncio.create_task(self._post_batch(key, lane, members), context=context)
        self._batches.add(task)
        task.add_done_callback(self._batches.discard)

    async def _post_batch(self, key: str, lane: _Lane, members: list[_Member]) -> None:
        try:
            with instrument.coalesced_batch([member.span for member in members]) as span:
                for member in members:
                    member.batch, member.size = span.get_span_context(), len(members)
                answers = await self._answers(members)
            for member, answer in zip(members, answers, strict=True):
                if member.answer.done():
                    continue
                if isinstance(answer, BaseException):
                    member.answer.set_exception(answer)
                else:
                    member.answer.set_result(answer)
        finally:
            for member in members:  # cancelled (shutdown): so is every member
                if not member.answer.done():
                    member.answer.cancel()
            lane.in_flight -= 1
            self._after(key, lane)

    async def _answers(self, members: list[_Member]) -> list[Row | BaseException | None]:
        """Each member's answer: its row, None (post it alone) or the exception it raises."""
        try:
            rows = await self.ledger.post_coalesced([member.request for member in members])
        except errors.OutcomeUnknown as exc:
            return [exc] * len(members)
        except errors.LedgerError:
            return [None] * len(members)
        except Exception as exc:  # a defect: every member answers 500, as it would alone
            return [exc] * len(members)
        return [
            {name: row[name] for name in RESULT_FIELDS} if row["status"] in ANSWERED else None
            for row in rows
        ]
