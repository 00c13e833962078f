"""Clients of the earlier DoubleX API (#16), through a real `doublex serve`: they send a key
like every client and otherwise get their own vocabulary back.

- the compatibility payload (client_id, entries, account_code) answers `applied` on its first
  post and `duplicate` on a replay (the native payload keeps `posted`);
- GET /health (liveness) and GET /ready (readiness: database reachable, migrations current)
  at the root, besides /api/health;
- GET /api/reports/balances?as_of= — the trial balance, a page of accounts with debits,
  credits and balance, and totals per currency netting to zero; `doublex report balances`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from doublex.cli import main
from doublex.db import Ledger
from support.http import api, ok, problem
from support.serving import doublex_serve
from test_demo_page import call, transfer


def books(admin_dsn: str) -> None:
    with psycopg.connect(admin_dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        for code, kind, ccy in [
            ("1001-CASH", "asset", "EUR"),
            ("1002-USD", "asset", "USD"),
            ("3001-EQUITY", "equity", "USD"),
            ("4001-SALES", "income", "EUR"),
        ]:
            conn.execute("SELECT ledger.create_account(%s, %s, %s, %s)", (code, code, ccy, kind))


def legacy(key: str, amount: str = "12.50") -> dict[str, object]:
    return {
        "client_id": "pos-17",
        "idempotency_key": key,
        "entries": [
            {"account_code": "1001-CASH", "amount": amount, "ccy": "EUR"},
            {"account_code": "4001-SALES", "amount": f"-{amount}", "ccy": "EUR"},
        ],
    }


@pytest.fixture
def served(service_dsn: str, admin_dsn: str, tmp_path: Path) -> Iterator[str]:
    books(admin_dsn)
    with doublex_serve(service_dsn, tmp_path / "serve.log") as base:
        yield base


def test_health_and_ready_at_the_root(served: str) -> None:
    status, alive, _ = call(served, "GET", "/health")
    assert (status, alive["status"]) == (200, "ok") and alive["version"]
    status, ready, _ = call(served, "GET", "/ready")
    assert (status, ready) == (200, {"status": "ready", "database": "ok", "pending": []})
    assert call(served, "GET", "/api/health")[0] == 200
    assert call(served, "GET", "/ready/")[0] == 200


async def test_ready_is_503_while_migrations_are_pending(ledger: Ledger) -> None:
    async with api(ledger, "", migrations=["0001_roles_and_schemas", "9999_not_applied"]) as client:
        response = await client.get("/ready")
        assert response.status == 503 and response.headers["Retry-After"] == "5"
        assert await response.json() == {
            "status": "not_ready",
            "database": "migrations pending",
            "pending": ["9999_not_applied"],
        }
        # Liveness does not ask the database.
        assert (await ok(await client.get("/health")))["status"] == "ok"


def test_the_earlier_payload_answers_applied_then_duplicate(served: str, api_key: str) -> None:
    status, first, _ = call(served, "POST", "/api/transfers", api_key, legacy("sale-1"))
    assert (status, first["status"]) == (201, "applied"), first
    status, again, _ = call(served, "POST", "/api/transfers", api_key, legacy("sale-1"))
    assert (status, again["status"]) == (200, "duplicate")
    assert again["journal_id"] == first["journal_id"]
    status, conflict, _ = call(served, "POST", "/api/transfers", api_key, legacy("sale-1", "1.00"))
    assert (status, conflict["code"]) == (409, "DX011")
    # The native payload keeps its own word.
    native = transfer("n-1", "5.00", "1001-CASH", "4001-SALES")
    status, posted, _ = call(served, "POST", "/api/transfers", api_key, native)
    assert (status, posted["status"]) == (201, "posted")
    # Without a key the earlier client is refused like any other.
    status, refused, headers = call(served, "POST", "/api/transfers", None, legacy("sale-2"))
    assert (status, refused["code"]) == (401, "DX040") and "WWW-Authenticate" in headers


def test_trial_balance_pages_and_nets_to_zero(served: str, api_key: str, admin_dsn: str) -> None:
    assert call(served, "POST", "/api/transfers", api_key, legacy("s-1", "12.50"))[0] == 201
    usd = transfer("u-1", "7.25", "1002-USD", "3001-EQUITY")
    for leg in usd["legs"]:
        leg["ccy"] = "USD"
    assert call(served, "POST", "/api/transfers", api_key, usd)[0] == 201
    status, trial, _ = call(served, "GET", "/api/reports/balances", api_key)
    assert status == 200, trial
    lines = {line["code"]: line for line in trial["items"]}
    assert list(lines) == ["1001-CASH", "1002-USD", "3001-EQUITY", "4001-SALES"]
    assert (lines["1001-CASH"]["debits"], lines["1001-CASH"]["credits"]) == ("12.50", "0.00")
    assert (lines["4001-SALES"]["balance"], lines["3001-EQUITY"]["balance"]) == ("12.50", "7.25")
    assert trial["totals"] == [
        {"ccy": "EUR", "accounts": 2, "debits": "12.50", "credits": "12.50", "net": "0.00"},
        {"ccy": "USD", "accounts": 2, "debits": "7.25", "credits": "7.25", "net": "0.00"},
    ]
    assert trial["next_cursor"] is None and trial["as_of"] is None
    status, page, _ = call(served, "GET", "/api/reports/balances?limit=3", api_key)
    assert [line["code"] for line in page["items"]] == list(lines)[:3]
    assert page["next_cursor"] == "3001-EQUITY" and len(page["totals"]) == 2
    status, rest, _ = call(
        served, "GET", "/api/reports/balances?limit=3&cursor=3001-EQUITY", api_key
    )
    assert [line["code"] for line in rest["items"]] == ["4001-SALES"]
    yesterday = (date.today() - timedelta(days=2)).isoformat()
    status, before, _ = call(served, "GET", f"/api/reports/balances?as_of={yesterday}", api_key)
    assert {t["net"] for t in before["totals"]} == {"0.00"}
    assert {line["debits"] for line in before["items"]} == {"0.00"}
    assert before["as_of"] == yesterday
    assert call(served, "GET", "/api/reports/balances?as_of=yesterday", api_key)[0] == 422
    # A read key is enough; a post-only key is not.
    with psycopg.connect(admin_dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        post_only = conn.execute(
            "SELECT token FROM ledger.create_api_key('p', ARRAY['post'])"
        ).fetchone()
    assert post_only is not None
    status, refused, _ = call(served, "GET", "/api/reports/balances", post_only[0])
    assert (status, refused["code"]) == (403, "DX041")


async def test_trial_balance_problem_for_a_bad_page_size(ledger: Ledger) -> None:
    async with api(ledger) as client:
        await problem(await client.get("/api/reports/balances?limit=0"), 422, "DX019")


def test_report_balances_and_demo_prune_commands(
    admin_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    books(admin_dsn)
    monkeypatch.setenv("DOUBLEX_DSN", admin_dsn)
    monkeypatch.delenv("DOUBLEX_SERVICE_DSN", raising=False)
    cli = CliRunner()
    posted = cli.invoke(
        main, ["post", "--leg", "1001-CASH:debit:3.00:EUR", "--leg", "4001-SALES:credit:3.00:EUR"]
    )
    assert posted.exit_code == 0, posted.output
    table = cli.invoke(main, ["report", "balances"])
    assert table.exit_code == 0, table.output
    assert "1001-CASH" in table.output and "net" in table.output
    as_json = cli.invoke(main, ["report", "balances", "--json", "--limit", "1"])
    document = json.loads(as_json.stdout)
    assert [line["code"] for line in document["items"]] == ["1001-CASH"]
    assert document["next_cursor"] == "1001-CASH"
    assert {t["ccy"]: t["net"] for t in document["totals"]} == {"EUR": "0.00", "USD": "0.00"}
    paged = cli.invoke(main, ["report", "balances", "--limit", "1"])
    assert "next page: --cursor 1001-CASH" in paged.stderr
    with psycopg.connect(admin_dsn) as conn:
        conn.isolation_level = psycopg.IsolationLevel.SERIALIZABLE
        conn.execute("SELECT ledger.create_demo_tenant('192.0.2.1')")
    kept = cli.invoke(main, ["demo", "prune"])
    assert kept.exit_code == 0 and "archived 0 demo tenants older than 24 hours" in kept.output
    pruned = cli.invoke(main, ["demo", "prune", "--older-than-hours", "0"])
    assert pruned.exit_code == 0 and "archived 1 demo tenants" in pruned.output
