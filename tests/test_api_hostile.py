"""The hostile corpus (tests/support/hostile.py) against every write route of a real
service on a real database: each case is answered 4xx with a problem document (never a 5xx,
never a stack trace), in bounded time, and writes nothing. The timing and memory bars are
measured by bench/run_hostile_bench.py; here the bound is generous (a loaded CI machine).
"""

from __future__ import annotations

import time
import uuid
from decimal import Decimal

import pytest

from doublex import jsonio
from doublex.api.fields import legacy_amount
from support.hostile import Case, corpus, hostile_client, send_headers, written_rows
from support.http import PROBLEM_TYPE, Client, problem

__all__ = ["hostile_client"]  # the fixture, imported so that pytest finds it

CASES = corpus()
SECONDS_PER_CASE = 2.0  # the bench's bar is 50 ms; this only catches the 19-second kind


def test_the_corpus_covers_every_write_route() -> None:
    routes = {case.id.split("-")[0] for case in CASES}
    assert routes == {
        "createAccount",
        "postTransfer",
        "postTransferBatch",
        "reverseJournal",
        "putFxRate",
        "postFxTransfer",
        "createApiKey",
        "setApiKeyRate",
        "revokeApiKey",
        "setAccountLimits",
        "createHold",
        "captureHold",
        "voidHold",
        "createWebhook",
        "replayWebhook",
        "deleteWebhook",
        "createMonitor",
        "deleteMonitor",
    }
    assert len(CASES) > 800
    assert len({case.id for case in CASES}) == len(CASES)


async def send(client: Client, case: Case) -> tuple[int, str, bytes, float]:
    started = time.perf_counter()
    response = await client.request(
        case.method, case.path, data=case.body, headers=send_headers(case)
    )
    body = await response.read()
    return response.status, response.content_type, body, time.perf_counter() - started


@pytest.mark.parametrize("chunk", range(4))
async def test_every_hostile_case_is_refused_quickly_and_writes_nothing(
    hostile_client: Client, admin_dsn: str, chunk: int
) -> None:
    for code, kind in (("1001-CASH", "asset"), ("4001-SALES", "income"), ("1101-USD", "asset")):
        ccy = "USD" if "USD" in code else "EUR"
        created = await hostile_client.post(
            "/api/accounts", json={"code": code, "name": code, "ccy": ccy, "type": kind}
        )
        assert created.status == 201, await created.text()
    before = written_rows(admin_dsn)
    failures = []
    for case in CASES[chunk::4]:
        status, content_type, body, seconds = await send(hostile_client, case)
        if not (400 <= status < 500 and content_type == PROBLEM_TYPE):
            failures.append(f"{case.id}: {status} {content_type} {body[:200]!r}")
        elif b"Traceback" in body or seconds > SECONDS_PER_CASE:
            failures.append(f"{case.id}: {seconds:.3f}s {body[:200]!r}")
    assert not failures, "\n".join(failures)
    assert written_rows(admin_dsn) == before


async def test_problem_codes_of_the_transport_limits(hostile_client: Client) -> None:
    deep = await hostile_client.post("/api/accounts", data=b"[" * 900 + b"]" * 900,
                                     headers={"Content-Type": "application/json"})  # fmt: skip
    await problem(deep, 400, "json_too_deep")
    beyond_orjson = await hostile_client.post(
        "/api/accounts",
        data=b"[" * 5000 + b"]" * 5000,
        headers={"Content-Type": "application/json"},
    )
    await problem(beyond_orjson, 400, "json_too_deep")
    big = await hostile_client.post(
        "/api/accounts", data=b" " * ((1 << 20) + 1), headers={"Content-Type": "application/json"}
    )
    await problem(big, 413, "payload_too_large")
    started = time.perf_counter()
    exponent = await hostile_client.post(
        "/api/transfers",
        data=b'{"client_id": "c", "idempotency_key": "k", "entries": ['
        b'{"account_code": "1001-CASH", "amount": 1e-999999999, "ccy": "EUR"},'
        b'{"account_code": "4001-SALES", "amount": -1e-999999999, "ccy": "EUR"}]}',
        headers={"Content-Type": "application/json"},
    )
    document = await problem(exponent, 422, "invalid_request")
    assert document["errors"][0]["field"] == "entries[0].amount"
    assert time.perf_counter() - started < SECONDS_PER_CASE


async def test_a_hostile_request_id_is_replaced(hostile_client: Client) -> None:
    kept = await hostile_client.get("/api/eod", headers={"X-Request-ID": "trace-01.a:b_c"})
    assert kept.headers["X-Request-ID"] == "trace-01.a:b_c"
    for hostile in ("r" * 129, "a b", "a\tb", "évite", ""):
        response = await hostile_client.get("/api/eod", headers={"X-Request-ID": hostile})
        replaced = response.headers["X-Request-ID"]
        assert replaced != hostile and uuid.UUID(hex=replaced)


def test_exponents_are_marked_and_refused_as_amounts() -> None:
    parsed = jsonio.loads(b'{"a": 1e-999999999, "b": 12.50, "c": 1E+2, "d": 7}')
    assert isinstance(parsed["a"], jsonio.ExponentNumber)
    assert isinstance(parsed["c"], jsonio.ExponentNumber)
    assert type(parsed["b"]) is Decimal and parsed["d"] == 7
    assert legacy_amount(parsed["b"]) == "12.50"
    with pytest.raises(ValueError, match="without exponent"):
        legacy_amount(parsed["a"])
    with pytest.raises(jsonio.TooDeep):
        jsonio.loads(b"[" * 33 + b"]" * 33)
    assert jsonio.loads(b"[" * 32 + b"]" * 32, max_depth=32) is not None
    assert jsonio.loads(b'{"a": [1.5]}', max_depth=2) == {"a": [Decimal("1.5")]}
    with pytest.raises(jsonio.TooDeep):
        jsonio.loads(b'{"a": [1.5]}', max_depth=1)
