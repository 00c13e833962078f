"""Metrics and spans of the ledger calls, in one place.

`instrumented(Ledger)` wraps every method named in `MEASURES`: the table says which span
the call opens (with which call arguments as attributes), which latency histogram times it,
and what its result or its error records. The runner reports retries through `retrying`
and `finished`; the request coalescer (doublex.db.coalesce) its batches, waits and answers
through `coalesced_alone`, `batch_formed`, `coalesced_batch`, `coalesced_member` and
`member_answered`. No other module of doublex.db touches metrics or tracing.

Prometheus and OpenTelemetry are imported by the first call that records something, not
with the Ledger: a command of the CLI that calls nothing measured (a statement, a report)
starts without them.

The metric and span names are part of DoubleX's interface (README, "Observability").
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from doublex import errors
from doublex.db.principal import principal_key_id

if TYPE_CHECKING:
    from opentelemetry.trace import Span, SpanContext
    from prometheus_client import Histogram

C = TypeVar("C", bound=type)
Method = Callable[..., Coroutine[Any, Any, Any]]


def retrying(sqlstate: str) -> None:
    """The runner tries again after a serialization failure or deadlock."""
    from doublex import metrics

    metrics.SERIALIZATION_RETRIES.labels(sqlstate=sqlstate).inc()


def finished(retries: int) -> None:
    """The runner's work succeeded after `retries` retries (on the caller's current span).
    While OpenTelemetry was never imported no span can be current: nothing to record."""
    if "opentelemetry.trace" in sys.modules:
        from opentelemetry import trace

        trace.get_current_span().set_attribute("doublex.retries", retries)


# -- the request coalescer (doublex.db.coalesce) -------------------------------------------


def coalesced_alone(operation: str) -> None:
    """A request the coalescer sent at once, alone (nothing of its lane was in flight): a
    transaction of one request, no wait. Its single call records the rest."""
    from doublex import metrics

    metrics.COALESCE_BATCH_SIZE.labels(operation=operation).observe(1)
    metrics.COALESCE_WAIT.labels(operation=operation).observe(0)


def batch_formed(operation: str, waits_ms: Sequence[float]) -> None:
    """A queue left as one transaction: its size, and how long each member waited."""
    from doublex import metrics

    metrics.COALESCE_BATCH_SIZE.labels(operation=operation).observe(len(waits_ms))
    wait = metrics.COALESCE_WAIT.labels(operation=operation)
    for waited in waits_ms:
        wait.observe(waited)


@contextlib.contextmanager
def coalesced_batch(name: str, members: Sequence[SpanContext]) -> Iterator[Span]:
    """The span of one batch (named after its set-based call, e.g. post_journals): a root
    span (no request owns it) linked to the span of each member's request, which links back
    to it (`member_answered`)."""
    from opentelemetry import context
    from opentelemetry.trace import Link

    from doublex.tracing import tracer

    with tracer.start_as_current_span(
        name,
        context=context.Context(),
        links=[Link(member) for member in members],
        attributes={"doublex.coalesced": True, "doublex.batch_size": len(members)},
    ) as span:
        if key_id := principal_key_id():
            span.set_attribute("doublex.principal", f"key:{key_id}")
        yield span


@contextlib.contextmanager
def coalesced_member(call: str) -> Iterator[Span]:
    """The span of a request queued for a batch, in its request: from queueing to its
    answer (a member the batch sends back alone then opens the usual span of `call`)."""
    from doublex.tracing import tracer

    with tracer.start_as_current_span(
        "coalesce", attributes={"doublex.operation": call, "doublex.coalesced": True}
    ) as span:
        yield span


def member_answered(
    call: str, span: Span, batch: SpanContext | None, size: int, result: Any, started: float
) -> None:
    """A queued request got its answer: linked to its batch's span; when the batch answered
    it, recorded as the single call `call` records it (MEASURES: ledger_tx_total and
    ledger_posting_latency_ms for a posting, ledger_holds_total for a hold; `started`:
    time.perf_counter() when it was queued)."""
    if batch is not None:
        span.add_link(batch)
        span.set_attribute("doublex.batch_size", size)
    if result is None:  # sent back alone: its own single call records it
        span.set_attribute("doublex.status", "alone")
        return
    from doublex import metrics

    measure = MEASURES[call]
    if measure.latency is not None:
        latency: Histogram = getattr(metrics, measure.latency)
        latency.observe((time.perf_counter() - started) * 1000)
    measure.succeeded(span, result)


def _posted(span: Span, result: Any) -> None:
    from doublex import metrics

    metrics.TRANSACTIONS.labels(status=result["status"]).inc()
    span.set_attribute("doublex.status", result["status"])
    for id_field in ("journal_id", "settlement_id"):  # an FX settlement has the latter
        if id_field in result:
            span.set_attribute(f"doublex.{id_field}", str(result[id_field]))


def _posting_refused(span: Span, error: Exception) -> None:
    from doublex import metrics

    if isinstance(error, errors.RuleViolation):
        metrics.TRANSACTIONS.labels(status="rejected").inc()
        span.set_attribute("doublex.status", "rejected")


def _batch_posted(span: Span, results: Any) -> None:
    from doublex import metrics

    for result in results:
        metrics.TRANSACTIONS.labels(status=result["status"]).inc()


def _balance_read(span: Span, balance: Any) -> None:
    span.set_attribute("doublex.status", "ok")
    span.set_attribute("doublex.snapshot_source", balance["snapshot_source"])


def _balance_refused(span: Span, error: Exception) -> None:
    if isinstance(error, errors.LedgerError):
        span.set_attribute("doublex.status", error.name)


# A hold's outcome as ledger_holds_total counts it: a new hold is `created` (the ledger
# answers `pending`), the rest as the ledger answers (captured, voided, duplicate).
HOLD_COUNTED = {"pending": "created"}


def _hold_answered(span: Span, result: Any) -> None:
    from doublex import metrics

    status = result["status"]
    metrics.HOLDS.labels(status=HOLD_COUNTED.get(status, status)).inc()
    span.set_attribute("doublex.status", status)
    span.set_attribute("doublex.hold_id", str(result["hold_id"]))


def _hold_refused(span: Span, error: Exception) -> None:
    from doublex import metrics

    if isinstance(error, errors.RuleViolation):
        metrics.HOLDS.labels(status="rejected").inc()
        span.set_attribute("doublex.status", "rejected")
        span.set_attribute("doublex.error", error.code)


def _holds_expired(span: Span, marked: Any) -> None:
    """expire_holds answers a count; sweep_expired_holds a count per tenant."""
    from doublex import metrics

    count = sum(marked.values()) if isinstance(marked, dict) else int(marked)
    metrics.HOLDS.labels(status="expired").inc(count)
    span.set_attribute("doublex.expired", count)


def _nothing(span: Span, outcome: Any) -> None:
    pass


@dataclass(frozen=True)
class Measure:
    """What one ledger call records."""

    span: str
    # span attribute → the call argument it shows (as text)
    attributes: Mapping[str, str]
    # the latency histogram that times it: its name in doublex.metrics
    latency: str | None = None
    # the call's name as doublex.operation (postings share one span name)
    operation: bool = False
    succeeded: Callable[[Span, Any], None] = _nothing
    failed: Callable[[Span, Exception], None] = _nothing


def _posting() -> Measure:
    return Measure(
        "post_journal",
        {"doublex.tenant": "tenant"},
        "POSTING_LATENCY",
        operation=True,
        succeeded=_posted,
        failed=_posting_refused,
    )


def _holds() -> dict[str, Measure]:
    """The hold calls: their spans, and ledger_holds_total by outcome."""
    tenant = {"doublex.tenant": "tenant"}
    on_hold = tenant | {"doublex.hold_id": "hold_id"}
    return {
        "create_hold": Measure(
            "create_hold", tenant, succeeded=_hold_answered, failed=_hold_refused
        ),
        "capture_hold": Measure(
            "capture_hold", on_hold, succeeded=_hold_answered, failed=_hold_refused
        ),
        "void_hold": Measure("void_hold", on_hold, succeeded=_hold_answered, failed=_hold_refused),
        "get_hold": Measure("get_hold", on_hold),
        "list_holds": Measure("list_holds", tenant | {"doublex.account": "account"}),
        "expire_holds": Measure("expire_holds", tenant, succeeded=_holds_expired),
        "sweep_expired_holds": Measure("sweep_expired_holds", {}, succeeded=_holds_expired),
        "set_account_limits": Measure("set_account_limits", tenant | {"doublex.account": "code"}),
    }


# Keyed by the Ledger method's name.
MEASURES: Mapping[str, Measure] = {
    "post_journal": _posting(),
    "reverse_journal": _posting(),
    "post_fx_transfer": _posting(),
    "post_journals": Measure(
        "post_journals",
        {"doublex.tenant": "tenant"},
        "POSTING_LATENCY",
        succeeded=_batch_posted,
    ),
    "get_balance": Measure(
        "get_balance",
        {"doublex.tenant": "tenant", "doublex.account": "account"},
        "GET_BALANCE_LATENCY",
        succeeded=_balance_read,
        failed=_balance_refused,
    ),
    "eod_close": Measure(
        "eod_close", {"doublex.tenant": "tenant", "doublex.date": "business_date"}
    ),
    **_holds(),
}


def _measured(name: str, method: Method, measure: Measure) -> Method:
    parameters = inspect.signature(method).parameters
    positions = list(parameters)[1:]  # after self
    # span attribute → (argument name, its position, its default)
    wanted = [
        (attribute, argument, positions.index(argument), parameters[argument].default)
        for attribute, argument in measure.attributes.items()
    ]

    def attributes(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, str]:
        found = {"doublex.operation": name} if measure.operation else {}
        for attribute, argument, index, default in wanted:
            if argument in kwargs:
                value = kwargs[argument]
            else:
                value = args[index] if index < len(args) else default
            if value is not None:  # tenant None: the caller's own, known to the database
                found[attribute] = str(value)
        if key_id := principal_key_id():
            found["doublex.principal"] = f"key:{key_id}"
        return found

    @functools.wraps(method)
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        from doublex import metrics
        from doublex.tracing import tracer

        started = time.perf_counter()
        with tracer.start_as_current_span(
            measure.span, attributes=attributes(args, kwargs)
        ) as span:
            try:
                result = await method(self, *args, **kwargs)
            except Exception as error:
                measure.failed(span, error)
                raise
            finally:
                if measure.latency is not None:
                    latency: Histogram = getattr(metrics, measure.latency)
                    latency.observe((time.perf_counter() - started) * 1000)
            measure.succeeded(span, result)
            return result

    return wrapper


def instrumented(cls: C) -> C:
    """Wrap the methods of `cls` that `MEASURES` names (each must exist)."""
    for name, measure in MEASURES.items():
        setattr(cls, name, _measured(name, getattr(cls, name), measure))
    return cls
