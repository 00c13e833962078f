"""What the REST service tells its operators: Prometheus metrics (exact counts after a known
sequence of requests), OpenTelemetry spans (an in-memory exporter) and the access log."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from doublex import config, logs, tracing
from doublex.db import Ledger, RetryPolicy
from doublex.serve import build_app
from support.dates import shifted
from support.http import (
    Client,
    Samples,
    api,
    hold_key,
    key_id,
    legs,
    ok,
    open_account,
    problem,
    sample,
    serving,
    transfer,
    wait_for_lock_waiter,
)


@pytest.fixture
async def books(ledger: Ledger) -> AsyncIterator[Client]:
    async with api(ledger) as client:
        await open_account(client, "1001-CASH")
        await open_account(client, "4001-SALES", type="income")
        yield client


@pytest.fixture(scope="session")
def span_exporter() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    assert tracing.configure(exporter)
    return exporter


@pytest.fixture
def spans(span_exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    span_exporter.clear()
    yield span_exporter
    span_exporter.clear()


# -- metrics ---------------------------------------------------------------------------------

TX = "ledger_tx_total"
POSTING_COUNT = "ledger_posting_latency_ms_count"
BALANCE_COUNT = "ledger_get_balance_latency_ms_count"
HTTP = "http_requests_total"
HTTP_COUNT = "http_request_duration_ms_count"
TRANSFERS = "/api/transfers"
BALANCE = "/api/accounts/{code}/balance"

# (sample name, labels) → the exact change the sequence in the test makes.
EXPECTED: list[tuple[str, dict[str, str], float]] = [
    (TX, {"status": "posted"}, 4),  # two transfers, one in the batch, one reversal
    (TX, {"status": "duplicate"}, 1),
    (TX, {"status": "rejected"}, 3),  # key conflict, unbalanced, one in the batch
    (POSTING_COUNT, {}, 7),  # five single postings, the batch, the reversal
    ("ledger_posting_latency_ms_bucket", {"le": "+Inf"}, 7),
    (BALANCE_COUNT, {}, 3),
    ("ledger_serialization_retries_total", {"sqlstate": "40001"}, 0),
    (HTTP, {"method": "POST", "route": TRANSFERS, "status": "201"}, 2),
    (HTTP, {"method": "POST", "route": TRANSFERS, "status": "200"}, 1),
    (HTTP, {"method": "POST", "route": TRANSFERS, "status": "409"}, 1),
    (HTTP, {"method": "POST", "route": TRANSFERS, "status": "422"}, 2),
    (HTTP_COUNT, {"method": "POST", "route": TRANSFERS}, 6),
    (HTTP, {"method": "POST", "route": "/api/transfers/batch", "status": "200"}, 1),
    (HTTP, {"method": "POST", "route": "/api/journals/{journal_id}/reverse", "status": "201"}, 1),
    (HTTP, {"method": "GET", "route": BALANCE, "status": "200"}, 2),
    (HTTP, {"method": "GET", "route": BALANCE, "status": "404"}, 1),
    (HTTP_COUNT, {"method": "GET", "route": BALANCE}, 3),
    (HTTP, {"method": "GET", "route": "/api/accounts/{code}", "status": "404"}, 1),
    (HTTP, {"method": "GET", "route": "unmatched", "status": "404"}, 1),
    (HTTP, {"method": "DELETE", "route": "unmatched", "status": "405"}, 1),
]


async def test_metrics_count_exactly_what_happened(books: Client) -> None:
    before = [sample(name, **labels) for name, labels, _ in EXPECTED]
    posting_sum = sample("ledger_posting_latency_ms_sum")

    first = {"legs": legs("1001-CASH", "4001-SALES", "10.00")}
    posted = await transfer(books, "m-1", first, 201)
    await transfer(books, "m-2", {"legs": legs("1001-CASH", "4001-SALES", "1.00")}, 201)
    replay = await books.post("/api/transfers/", json={"idempotency_key": "m-1"} | first)
    assert replay.status == 200
    conflict = {"idempotency_key": "m-1", "memo": "changed"} | first
    await problem(await books.post("/api/transfers", json=conflict), 409, "DX011")
    unbalanced = legs("1001-CASH", "4001-SALES", "1.00")
    unbalanced[1]["amount"] = "2.00"
    response = await books.post(
        "/api/transfers", json={"idempotency_key": "m-3", "legs": unbalanced}
    )
    await problem(response, 422, "DX009")
    # Refused by the shell before the ledger: an HTTP 422, not a ledger transaction.
    await problem(await books.post("/api/transfers", json=first), 422, "invalid_request")
    batch = {
        "requests": [
            {"idempotency_key": "m-4", "legs": legs("1001-CASH", "4001-SALES", "1.00")},
            {"idempotency_key": "m-5", "legs": legs("1001-CASH", "9999-NOPE", "1.00")},
        ]
    }
    await ok(await books.post("/api/transfers/batch", json=batch))
    reverse = f"/api/journals/{posted['journal_id']}/reverse"
    await ok(await books.post(reverse, json={"idempotency_key": "m-undo"}), 201)
    await ok(await books.get("/api/accounts/1001-CASH/balance"))
    await ok(await books.get(shifted("/api/accounts/4001-SALES/balance/?as_of=2026-01-01")))
    await problem(await books.get("/api/accounts/NOPE/balance"), 404, "DX020")
    await problem(await books.get("/api/accounts/NOPE"), 404, "DX020")
    await problem(await books.get("/api/no/such/route"), 404, "not_found")
    await problem(await books.delete("/api/transfers"), 405, "method_not_allowed")

    after = [sample(name, **labels) for name, labels, _ in EXPECTED]
    changes = {
        f"{name}{labels}": round(now - then, 6)
        for (name, labels, _), then, now in zip(EXPECTED, before, after, strict=True)
    }
    assert changes == {f"{name}{labels}": float(n) for name, labels, n in EXPECTED}
    assert sample("ledger_posting_latency_ms_sum") > posting_sum

    # The exposition: every interface metric by name, routes only as templates.
    response = await books.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    text = await response.text()
    for name in (
        "ledger_tx_total",
        "ledger_posting_latency_ms_bucket",
        "ledger_get_balance_latency_ms_bucket",
        "http_requests_total",
        "http_request_duration_ms_bucket",
    ):
        assert f"\n{name}{{" in text, name
    assert "# TYPE ledger_serialization_retries_total counter" in text
    http_lines = [line for line in text.splitlines() if line.startswith("http_")]
    routes = {m.group(1) for line in http_lines if (m := re.search(r'route="([^"]*)"', line))}
    assert BALANCE in routes
    assert not any("CASH" in route or "NOPE" in route or route.endswith("/") for route in routes)


async def test_pool_gauges_of_the_served_app(service_dsn: str) -> None:
    settings = dataclasses.replace(config.load(), pool_min=2, pool_max=7, roll_up_seconds=0.05)
    async with serving(build_app(settings, service_dsn)) as client:
        await ok(await client.get("/api/health"))
        await asyncio.sleep(0.2)  # the background roll-up runs a few times, harmlessly
        text = await (await client.get("/metrics")).text()
    gauges = dict(re.findall(r"^(db_pool_\w+) ([0-9.e+]+)$", text, re.MULTILINE))
    assert float(gauges["db_pool_max"]) == 7
    assert 1 <= float(gauges["db_pool_size"]) <= 7
    assert float(gauges["db_pool_waiting"]) == 0
    assert "db_pool_available" in gauges


# -- traces ----------------------------------------------------------------------------------


def named(exporter: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.name == name]


def parent_of(exporter: InMemorySpanExporter, span: ReadableSpan) -> ReadableSpan:
    assert span.parent is not None, f"{span.name} has no parent"
    parents = [
        s
        for s in exporter.get_finished_spans()
        if s.context is not None and s.context.span_id == span.parent.span_id
    ]
    assert len(parents) == 1
    return parents[0]


async def test_spans_of_postings_and_balances(books: Client, spans: InMemorySpanExporter) -> None:
    request = {"legs": legs("1001-CASH", "4001-SALES", "5.00")}
    posted = await transfer(books, "t-1", request, 201)
    await transfer(books, "t-1", request, 200)
    bad = {"idempotency_key": "t-2", "legs": legs("1001-CASH", "9999-NOPE", "5.00")}
    await problem(await books.post("/api/transfers", json=bad), 422, "DX006")
    await ok(await books.get("/api/accounts/1001-CASH/balance"))

    postings = named(spans, "post_journal")
    assert [span.attributes and span.attributes.get("doublex.status") for span in postings] == [
        "posted",
        "duplicate",
        "rejected",
    ]
    # The REST tenant is the key's (the database resolves it): the span names the key.
    principal = f"key:{key_id(books)}"
    for span in postings:
        attributes = dict(span.attributes or {})
        assert "doublex.tenant" not in attributes
        assert attributes["doublex.principal"] == principal
        assert attributes["doublex.operation"] == "post_journal"
        server = parent_of(spans, span)
        assert server.kind == SpanKind.SERVER
        assert server.name == "POST /api/transfers"
        assert (server.attributes or {})["http.route"] == "/api/transfers"
        assert (server.attributes or {})["doublex.request_id"]
    assert [(span.attributes or {}).get("doublex.journal_id") for span in postings] == [
        posted["journal_id"],
        posted["journal_id"],
        None,
    ]
    statuses = [
        (parent_of(spans, s).attributes or {})["http.response.status_code"] for s in postings
    ]
    assert statuses == [201, 200, 422]

    (reading,) = named(spans, "get_balance")
    assert dict(reading.attributes or {}) == {
        "doublex.principal": principal,
        "doublex.account": "1001-CASH",
        "doublex.status": "ok",
        "doublex.snapshot_source": "live",
        "doublex.retries": 0,
    }
    server = parent_of(spans, reading)
    assert server.name == "GET /api/accounts/{code}/balance"
    assert (server.attributes or {})["http.response.status_code"] == 200


async def test_spans_and_counters_of_holds(books: Client, spans: InMemorySpanExporter) -> None:
    """Each hold call has its span (tenant, hold, status) under its HTTP span, and
    ledger_holds_total counts its outcome."""
    outcomes = ("created", "duplicate", "captured", "voided", "rejected")
    counted = Samples(*(("ledger_holds_total", {"status": s}) for s in outcomes))
    body = {"idempotency_key": "h-1", "legs": legs("1001-CASH", "4001-SALES", "5.00")}
    made = await ok(await books.post("/api/holds", json=body), 201)
    await ok(await books.post("/api/holds", json=body), 200)
    other = await ok(await books.post("/api/holds", json=body | {"idempotency_key": "h-2"}), 201)
    on_made, on_other = f"/api/holds/{made['hold_id']}", f"/api/holds/{other['hold_id']}"
    await ok(await books.post(f"{on_made}/capture", json={"idempotency_key": "c"}), 201)
    await ok(await books.post(f"{on_other}/void", json={"idempotency_key": "v"}))
    refused = await books.post(f"{on_other}/capture", json={"idempotency_key": "c2"})
    await problem(refused, 409, "DX051")
    await ok(await books.get(on_made))
    assert counted.delta() == {
        f'ledger_holds_total{{status="{s}"}}': n
        for s, n in zip(outcomes, (2, 1, 1, 1, 1), strict=True)
    }
    principal = f"key:{key_id(books)}"
    created = [dict(span.attributes or {}) for span in named(spans, "create_hold")]
    assert [(a["doublex.status"], a["doublex.hold_id"]) for a in created] == [
        ("pending", made["hold_id"]),
        ("duplicate", made["hold_id"]),
        ("pending", other["hold_id"]),
    ]
    assert {a["doublex.principal"] for a in created} == {principal}
    captures = named(spans, "capture_hold")
    assert [(s.attributes or {}).get("doublex.status") for s in captures] == [
        "captured",
        "rejected",
    ]
    assert (captures[1].attributes or {})["doublex.error"] == "DX051"
    assert (captures[1].attributes or {})["doublex.hold_id"] == other["hold_id"]
    (voided,) = named(spans, "void_hold")
    assert parent_of(spans, voided).name == "POST /api/holds/{hold_id}/void"
    (read,) = named(spans, "get_hold")
    assert (read.attributes or {})["doublex.hold_id"] == made["hold_id"]


async def test_spans_name_the_arguments_however_they_are_passed(
    books: Client, ledger: Ledger, spans: InMemorySpanExporter
) -> None:
    """The attributes come from the call's arguments: positional, keyword or default."""
    await ledger.get_balance(account="1001-CASH", tenant="default")
    await ledger.get_balance("4001-SALES")
    legs = [
        {"account": "1001-CASH", "side": "debit", "amount": "1.00", "ccy": "EUR"},
        {"account": "4001-SALES", "side": "credit", "amount": "1.00", "ccy": "EUR"},
    ]
    await ledger.post_journal(idempotency_key="kw-1", legs=legs, tenant="default")
    readings = [dict(span.attributes or {}) for span in named(spans, "get_balance")]
    # Left out, the tenant is the caller's (the database knows it): no attribute.
    assert [(r["doublex.account"], r.get("doublex.tenant")) for r in readings] == [
        ("1001-CASH", "default"),
        ("4001-SALES", None),
    ]
    (posting,) = named(spans, "post_journal")
    attributes = dict(posting.attributes or {})
    assert (attributes["doublex.tenant"], attributes["doublex.operation"]) == (
        "default",
        "post_journal",
    )
    assert attributes["doublex.status"] == "posted"


async def test_a_retried_posting_is_counted_and_traced(
    app_dsn: str, admin_dsn: str, spans: InMemorySpanExporter
) -> None:
    """The request that queued behind the same key's writer fails once with 40001 when that
    writer commits, is retried, and answers the writer's journal as a duplicate."""
    retries = sample("ledger_serialization_retries_total", sqlstate="40001")
    patient = Ledger(app_dsn, retry=RetryPolicy(max_attempts=3, base_delay=0.001))
    async with patient, api(patient) as client:
        await open_account(client, "1001-CASH")
        await open_account(client, "4001-SALES", type="income")
        request_legs = legs("1001-CASH", "4001-SALES", "4.00")
        holder = await hold_key(app_dsn, "contended", request_legs)
        try:
            pending = asyncio.create_task(
                client.post(
                    "/api/transfers", json={"idempotency_key": "contended", "legs": request_legs}
                )
            )
            await wait_for_lock_waiter(admin_dsn)
            await holder.commit()
            response = await pending
        finally:
            await holder.close()
        answer = await ok(response, 200)
    assert answer["status"] == "duplicate"
    assert sample("ledger_serialization_retries_total", sqlstate="40001") - retries == 1
    (span,) = named(spans, "post_journal")
    assert (span.attributes or {})["doublex.retries"] == 1
    assert (span.attributes or {})["doublex.status"] == "duplicate"
    assert (span.attributes or {})["doublex.journal_id"] == answer["journal_id"]


# -- the access log --------------------------------------------------------------------------


async def test_one_access_line_per_request(books: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="doublex.access")
    caplog.clear()
    given = await books.get("/api/accounts/1001-CASH", headers={"X-Request-ID": "req-42"})
    assert given.headers["X-Request-ID"] == "req-42"
    generated = await books.post("/api/transfers", json={"legs": []})
    assert generated.status == 422
    await books.get("/api/missing")

    lines = [r for r in caplog.records if r.name == "doublex.access"]
    assert len(lines) == 3
    first, second, third = (vars(record) for record in lines)
    assert {k: first[k] for k in ("method", "route", "status", "request_id")} == {
        "method": "GET",
        "route": "/api/accounts/{code}",
        "status": 200,
        "request_id": "req-42",
    }
    assert first["duration_ms"] > 0
    assert (second["method"], second["route"], second["status"]) == ("POST", TRANSFERS, 422)
    assert re.fullmatch(r"[0-9a-f]{32}", second["request_id"])
    assert generated.headers["X-Request-ID"] == second["request_id"]
    assert (third["route"], third["status"]) == ("unmatched", 404)
    assert lines[0].getMessage().startswith("GET /api/accounts/{code} 200 ")

    entry = json.loads(logs.JsonFormatter().format(lines[1]))
    assert {k: entry[k] for k in ("level", "logger", "method", "route", "status")} == {
        "level": "info",
        "logger": "doublex.access",
        "method": "POST",
        "route": TRANSFERS,
        "status": 422,
    }
    assert entry["request_id"] == second["request_id"]
    assert isinstance(entry["duration_ms"], float)
    text = logs.TextFormatter().format(lines[0])
    assert "request_id=req-42" in text and "route=/api/accounts/{code}" in text


async def test_log_format_json_writes_json_lines(
    books: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    monkeypatch.setenv("LOG_FORMAT", "json")
    try:
        logs.configure("INFO")
        (handler,) = root.handlers
        assert isinstance(handler, logging.StreamHandler)
        assert isinstance(handler.formatter, logs.JsonFormatter)
        stream = io.StringIO()
        handler.setStream(stream)
        await books.get("/api/health", headers={"X-Request-ID": "json-1"})
        await books.get("/api/accounts/NOPE")
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    entries: list[dict[str, Any]] = [json.loads(line) for line in stream.getvalue().splitlines()]
    access = [e for e in entries if e["logger"] == "doublex.access"]
    assert [(e["method"], e["route"], e["status"]) for e in access] == [
        ("GET", "/api/health", 200),
        ("GET", "/api/accounts/{code}", 404),
    ]
    assert access[0]["request_id"] == "json-1"
    assert all(e["ts"].endswith("Z") and e["duration_ms"] >= 0 for e in access)


def test_tracing_is_off_without_an_endpoint_and_exports_over_otlp_with_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    installed: list[Any] = []
    monkeypatch.setattr(tracing, "_provider", None)  # as in a fresh process
    monkeypatch.setattr(tracing.trace, "set_tracer_provider", installed.append)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    assert tracing.configure() is False
    assert installed == []

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "doublex-test")
    assert tracing.configure() is True
    (provider,) = installed
    try:
        assert provider.resource.attributes["service.name"] == "doublex-test"
        assert tracing.configure() is True  # once: a second call installs nothing more
        assert len(installed) == 1
    finally:
        provider.shutdown()


def test_a_later_exporter_joins_the_installed_provider(span_exporter: InMemorySpanExporter) -> None:
    second = InMemorySpanExporter()
    assert tracing.configure(second)
    span_exporter.clear()
    with tracing.tracer.start_as_current_span("probe"):
        pass
    assert [s.name for s in second.get_finished_spans()] == ["probe"]
    assert [s.name for s in span_exporter.get_finished_spans()] == ["probe"]
    second.shutdown()  # stops receiving; the provider keeps its other exporters
