"""Request coalescing (README, "Request coalescing"): concurrent requests of one operation
and one API key are run by one set-based call of the ledger in one SERIALIZABLE
transaction, and each request still gets exactly its own answer.

**Operations.** Each `Operation` names a single-request call of the ledger and its
set-based twin, which runs each request through the single call in its own subtransaction
and answers one row per request, in order: transfers (`post_journal`, `post_journals`),
reversals (`reverse_journal`, `reverse_journals`), holds (`create_hold`, `create_holds`)
and captures (`capture_hold`, `capture_holds`). An operation supplies the single call
("post alone", a callable per request), the set-based call ("post these together", by
its name), and how a batch row maps to the single call's answer (the statuses that are
an answer, and the single call's columns). Lanes are per operation and per key: a
transfer never waits for a capture's batch, and a batch never mixes operations.

**Window (group commit).** A request whose lane has no call in flight goes at once,
alone, by the single call: the path of `DOUBLEX_COALESCE=off`, so an idle service adds no
wait. Requests that arrive while a call of the same lane is in flight queue up, and the
queue leaves as one batch of at most `max_batch` when a call of that lane ends, when it
holds `max_batch`, or when its oldest has waited `max_wait_ms`, whichever comes first. So
batches grow with the load and no request waits longer than `max_wait_ms` for its batch to
start. A batch of one goes alone.

**Grouping.** One lane per operation and API key (`PRINCIPAL`): the ledger acts as one
key per transaction, so a batch never mixes callers or tenants. Calls naming a client id
(the earlier API's transfers) or a tenant go alone.

**Answers.** A member the batch answers (posted, pending, captured, duplicate) gets that
row, the answer of the single call. A member the batch `rejected` wrote nothing (its own
subtransaction was rolled back) and is sent again alone, in its own request, by the single
call, which answers it exactly as it would have been answered alone: the same problem
document, its DETAIL and HINT included (the batch's rows carry only code, field and
message). When the whole call fails with an error of the ledger (a DX code raised before
any request, a lock or statement timeout, no connection, retries exhausted), every member
goes alone: one bad request never fails its neighbours. Only `outcome_unknown` (the
connection broke during COMMIT, so the batch may have committed) is every member's answer,
as it would have been alone: each replays with its key. A member whose request ends while
it is queued (its deadline) leaves the queue and is never sent.

**Retries.** The runner retries a 40001/40P01 of the batch as a whole: a new transaction
with the same requests, in which nothing of the failed attempt exists, so every key is
claimed anew and a replay inside the batch is still a `duplicate`.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from opentelemetry.trace import SpanContext

from doublex import errors
from doublex.config import CoalesceSettings
from doublex.db import instrument
from doublex.db.ledger import Ledger
from doublex.db.principal import PRINCIPAL
from doublex.db.runner import Row

T = TypeVar("T")
Alone = Callable[[], Awaitable[Row]]


@dataclass(frozen=True)
class Operation:
    """A kind of request the coalescer batches: `single`, the Ledger method that sends one
    alone (and names its metrics); `together`, the set-based SQL function that runs a batch
    of them; `answered`, the statuses of its rows that are a member's answer, and
    `columns`, the single call's row, taken from such a row."""

    name: str  # ledger_coalesce_* {operation=…}
    single: str
    together: str
    answered: frozenset[str]
    columns: tuple[str, ...]

    def answer(self, row: Mapping[str, Any]) -> Row | None:
        """The single call's answer in a batch row; None: post it alone."""
        if row["status"] not in self.answered:
            return None
        return {name: row[name] for name in self.columns}


POSTING = ("journal_id", "status", "effective_date", "created_at")  # ledger.posting_result
TRANSFERS = Operation(
    "transfers", "post_journal", "post_journals", frozenset({"posted", "duplicate"}), POSTING
)
REVERSALS = Operation(
    "reversals", "reverse_journal", "reverse_journals", frozenset({"posted", "duplicate"}), POSTING
)
HOLDS = Operation(
    "holds", "create_hold", "create_holds", frozenset({"pending", "duplicate"}),
    ("hold_id", "status", "expires_at", "created_at"),
)  # fmt: skip
CAPTURES = Operation(
    "captures", "capture_hold", "capture_holds", frozenset({"captured", "duplicate"}),
    ("hold_id", "status", "journal_id", "effective_date", "resolved_at"),
)  # fmt: skip


def _request(**fields: Any) -> dict[str, Any]:
    """A request as the set-based functions take it, in JSON: the fields that are not None
    (left out, as the single call's NULL arguments: a JSON null is not always one)."""
    found: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None:
            continue
        if isinstance(value, date | datetime):
            value = value.isoformat()
        elif isinstance(value, UUID):
            value = str(value)
        found[name] = value
    return found


@dataclass(eq=False)
class _Member:
    """A queued request: as the set-based call takes it, and where its answer goes (a row;
    None: post it alone; an exception: raise it)."""

    request: dict[str, Any]
    answer: asyncio.Future[Row | None]
    queued: float  # time.perf_counter()
    span: SpanContext
    batch: SpanContext | None = None
    size: int = 0


@dataclass(eq=False)
class _Lane:
    """The requests of one operation and one API key: the queue, and how many calls are in
    flight."""

    operation: Operation
    key: str
    queue: list[_Member] = field(default_factory=list)
    in_flight: int = 0
    timer: asyncio.TimerHandle | None = None


class Coalescer:
    """The coalesced calls, with the signatures of their Ledger methods: each coalesces
    concurrent calls of one API key (settings.enabled) or passes them straight to the
    ledger."""

    def __init__(self, ledger: Ledger, settings: CoalesceSettings) -> None:
        self.ledger = ledger
        self.settings = settings
        self._lanes: dict[tuple[str, str], _Lane] = {}
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

        if client_id is not None or tenant is not None:
            return await alone()
        request = _request(
            idempotency_key=idempotency_key, legs=legs, effective_date=effective_date, memo=memo,
            ref=ref, metadata=metadata, conditions=conditions,
        )  # fmt: skip
        return await self.submit(TRANSFERS, request, alone)

    async def reverse_journal(
        self, journal_id: UUID | str, idempotency_key: str, memo: str | None = None
    ) -> Row:
        request = _request(journal_id=journal_id, idempotency_key=idempotency_key, memo=memo)
        return await self.submit(
            REVERSALS,
            request,
            lambda: self.ledger.reverse_journal(journal_id, idempotency_key, memo),
        )

    async def create_hold(self, **arguments: Any) -> Row:
        """Ledger.create_hold's arguments, by name (no tenant: the caller's own)."""
        return await self.submit(
            HOLDS, _request(**arguments), lambda: self.ledger.create_hold(**arguments)
        )

    async def capture_hold(
        self,
        hold_id: UUID | str,
        idempotency_key: str,
        amounts: Any = None,
        effective_date: date | None = None,
        conditions: Any = None,
    ) -> Row:
        request = _request(
            hold_id=hold_id, idempotency_key=idempotency_key, amounts=amounts,
            effective_date=effective_date, conditions=conditions,
        )  # fmt: skip
        arguments = (hold_id, idempotency_key, amounts, effective_date, conditions)
        return await self.submit(CAPTURES, request, lambda: self.ledger.capture_hold(*arguments))

    async def submit(self, operation: Operation, request: dict[str, Any], alone: Alone) -> Row:
        """`request` of `operation`, as the set-based call takes it, answered by its batch;
        `alone` posts it by itself (idle lane, coalescing off, or sent back by its batch)."""
        if not self.settings.enabled:
            return await alone()
        lane = self._lanes.get((operation.name, PRINCIPAL.get()))
        if lane is None or (lane.in_flight == 0 and not lane.queue):
            instrument.coalesced_alone(operation.name)
            return await self._in_flight(operation, alone)
        answer = await self._queued(lane, request)
        return answer if answer is not None else await self._in_flight(operation, alone)

    async def _in_flight(self, operation: Operation, call: Callable[[], Awaitable[T]]) -> T:
        """Run a call of the key's lane of `operation`, counted in flight: requests of the
        lane queue behind it."""
        lane = self._lanes.setdefault(
            (operation.name, PRINCIPAL.get()), _Lane(operation, PRINCIPAL.get())
        )
        lane.in_flight += 1
        try:
            return await call()
        finally:
            lane.in_flight -= 1
            self._after(lane)

    def _after(self, lane: _Lane) -> None:
        """A call of the lane ended: its queue leaves now (group commit), or an idle lane goes."""
        if lane.queue:
            self._flush(lane)
        elif lane.in_flight == 0 and self._lanes.get((lane.operation.name, lane.key)) is lane:
            del self._lanes[(lane.operation.name, lane.key)]

    async def _queued(self, lane: _Lane, request: dict[str, Any]) -> Row | None:
        """Queue `request` for the lane's next batch; its answer (None: post it alone)."""
        with instrument.coalesced_member(lane.operation.single) as span:
            member = _Member(
                request,
                asyncio.get_running_loop().create_future(),
                time.perf_counter(),
                span.get_span_context(),
            )
            lane.queue.append(member)
            if len(lane.queue) >= self.settings.max_batch:
                self._flush(lane)
            elif lane.timer is None:
                self._arm(lane, self.settings.max_wait_ms / 1000)
            try:
                answer = await member.answer
            except asyncio.CancelledError:
                if member in lane.queue:  # its request ended before its batch left
                    lane.queue.remove(member)
                    if not lane.queue:
                        self._disarm(lane)
                        self._after(lane)
                raise
            instrument.member_answered(
                lane.operation.single, span, member.batch, member.size, answer, member.queued
            )
            return answer

    def _arm(self, lane: _Lane, seconds: float) -> None:
        lane.timer = asyncio.get_running_loop().call_later(seconds, self._flush, lane)

    @staticmethod
    def _disarm(lane: _Lane) -> None:
        if lane.timer is not None:
            lane.timer.cancel()
            lane.timer = None

    def _flush(self, lane: _Lane) -> None:
        """The queue (never empty here, never longer than max_batch: it leaves when it is
        full) leaves as one batch; a batch of one goes alone."""
        self._disarm(lane)
        members, lane.queue = lane.queue, []
        now = time.perf_counter()
        instrument.batch_formed(lane.operation.name, [(now - m.queued) * 1000 for m in members])
        if len(members) == 1:
            members[0].answer.set_result(None)
            return
        # Counted in flight from now, so arrivals queue behind it. Its own task, acting as
        # the key: no request's deadline or cancellation cuts the others' batch.
        lane.in_flight += 1
        context = contextvars.Context()
        context.run(PRINCIPAL.set, lane.key)
        task = asyncio.create_task(self._post_batch(lane, members), context=context)
        self._batches.add(task)
        task.add_done_callback(self._batches.discard)

    async def _post_batch(self, lane: _Lane, members: list[_Member]) -> None:
        try:
            spans = [member.span for member in members]
            with instrument.coalesced_batch(lane.operation.together, spans) as span:
                for member in members:
                    member.batch, member.size = span.get_span_context(), len(members)
                answers = await self._answers(lane.operation, members)
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
            self._after(lane)

    async def _answers(
        self, operation: Operation, members: Sequence[_Member]
    ) -> list[Row | BaseException | None]:
        """Each member's answer: its row, None (post it alone) or the exception it raises."""
        try:
            requests = [member.request for member in members]
            rows = await self.ledger.post_coalesced(operation.together, requests)
        except errors.OutcomeUnknown as exc:
            return [exc] * len(members)
        except errors.LedgerError:
            return [None] * len(members)
        except Exception as exc:  # a defect: every member answers 500, as it would alone
            return [exc] * len(members)
        return [operation.answer(row) for row in rows]
