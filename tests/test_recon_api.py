"""GET /api/reports/recon (JSON) and /api/reports/recon.html through the real aiohttp server,
and ledger_recon_mismatches_total on /metrics: read from the run log whichever process ran
the reconciliations, the same from every worker of `doublex serve --workers 2`, and a
database failure never breaks the scrape."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from doublex import localdb, metrics
from doublex.api.app import OPENAPI_DOCUMENT
from doublex.db import Ledger
from support.dates import day, iso, shifted
from support.http import Client, api, ok, problem
from support.recon import BANK, open_books, post_bank
from support.serving import doublex_serve

DAY = day("2026-11-20")
LINES = [
    (2, iso("2026-11-20"), "INV-1", "100.00", "EUR", "Invoice 1", None, 0),
    (3, iso("2026-11-20"), "INV-2", "-40.05", "EUR", "Supplier", None, 0),
    (4, iso("2026-11-20"), "INV-3X", "7.01", None, "Typo", None, 0),
    (5, iso("2026-11-20"), "FEE", "-2.50", None, "Fee", None, 0),
]


def mismatches(text: str) -> dict[str, float]:
    return {
        kind: float(value)
        for kind, value in re.findall(
            r'^ledger_recon_mismatches_total\{kind="([a-z_]+)"\} ([0-9.e+]+)$', text, re.MULTILINE
        )
    }


@pytest.fixture
async def reconciled(ledger: Ledger, app_dsn: str) -> AsyncIterator[Ledger]:
    open_books(app_dsn)
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        for key, amount, ref in (
            ("p-1", "100.00", "INV-1"),
            ("p-2", "-40.00", "INV-2"),
            ("p-3", "7.00", "INV-3"),
            ("p-4", "55.00", "INV-4"),
        ):
            post_bank(conn, key, Decimal(amount), ref, DAY)
    progress: list[int] = []
    imported = await ledger.import_statement(
        BANK, LINES, "statement.csv", tenant="default", progress=progress.append
    )
    assert (imported["status"], imported["added"], sum(progress)) == ("imported", 4, 4)
    summary = await ledger.recon_run(BANK, DAY)
    assert (summary["matched"], summary["unmatched"]) == (2, 3)
    yield ledger


@pytest.fixture
async def client(reconciled: Ledger) -> AsyncIterator[Client]:
    async with api(reconciled) as opened:
        yield opened


async def test_report_as_json(client: Client) -> None:
    body = await ok(await client.get(shifted(f"/api/reports/recon?date=2026-11-20&account={BANK}")))
    assert body == {
        "date": iso("2026-11-20"),
        "account": BANK,
        "ledger_total": "122.00",
        "bank_total": "64.46",
        "matched": 2,
        "unmatched": 3,
        "exceptions": [
            {
                "kind": "amount_mismatch",
                "ref": "INV-2",
                "delta": "-0.05",
                "amount": "-40.05",
                "line": 3,
            },
            {
                "kind": "missing_in_ledger",
                "ref": "FEE",
                "delta": "-2.50",
                "amount": "-2.50",
                "line": 5,
            },
            {
                "kind": "missing_in_bank",
                "ref": "INV-4",
                "delta": "-55.00",
                "amount": "55.00",
                "line": None,
            },
        ],
        "next_cursor": None,
    }
    # Only one account was reconciled that day: the account may be left out.
    assert await ok(await client.get(shifted("/api/reports/recon/?date=2026-11-20"))) == body


async def test_report_exceptions_come_a_page_at_a_time(client: Client) -> None:
    """limit and cursor page through the exceptions in the order of the full answer."""
    full = await ok(await client.get(shifted(f"/api/reports/recon?date=2026-11-20&account={BANK}")))
    seen, cursor, pages = [], "", 0
    while True:
        query = shifted(f"date=2026-11-20&account={BANK}&limit=2") + (
            f"&cursor={cursor}" if cursor else ""
        )
        page = await ok(await client.get(f"/api/reports/recon?{query}"))
        assert len(page["exceptions"]) <= 2 and page["unmatched"] == 3
        seen += page["exceptions"]
        pages += 1
        if page["next_cursor"] is None:
            break
        cursor = page["next_cursor"]
    assert (seen, pages) == (full["exceptions"], 2)
    await problem(
        await client.get(shifted(f"/api/reports/recon?date=2026-11-20&account={BANK}&cursor=nope")),
        422,
        "DX019",
    )
    await problem(
        await client.get(shifted(f"/api/reports/recon?date=2026-11-20&account={BANK}&limit=1001")),
        422,
        "DX019",
    )


async def test_report_as_html(client: Client) -> None:
    response = await client.get(shifted(f"/api/reports/recon.html?date=2026-11-20&account={BANK}"))
    page = await response.text()
    assert response.status == 200 and response.content_type == "text/html"
    assert '<div class="label">Exceptions</div><div class="value">3</div>' in page
    assert "http://" not in page and "https://" not in page  # nothing from the internet


async def test_report_errors(client: Client, reconciled: Ledger, app_dsn: str) -> None:
    document = await problem(
        await client.get(shifted("/api/reports/recon?date=2026-11-19")), 404, "DX038"
    )
    assert document["type"].endswith("recon_not_found")
    await problem(
        await client.get(shifted(f"/api/reports/recon.html?date=2026-11-19&account={BANK}")),
        404,
        "DX038",
    )
    await problem(
        await client.get(shifted("/api/reports/recon?date=2026-11-20&account=NOPE")), 404, "DX020"
    )
    await problem(await client.get("/api/reports/recon"), 422, "invalid_request")
    await problem(await client.get("/api/reports/recon?date=20.11.2026"), 422, "invalid_request")
    # An empty code is a string like any other: no such account (the ledger's DX020, as for
    # /api/journals?account=), not a shell rule.
    empty = await problem(
        await client.get(shifted("/api/reports/recon?date=2026-11-20&account=")), 404, "DX020"
    )
    assert empty["errors"][0]["field"] == "account"
    open_books(app_dsn, bank="1002-BANK")
    await reconciled.recon_run("1002-BANK", DAY)
    several = await problem(
        await client.get(shifted("/api/reports/recon?date=2026-11-20")), 422, "invalid_request"
    )
    assert several["detail"] == (
        shifted(
            "account: 2 accounts were reconciled on 2026-11-20 (1001-BANK, 1002-BANK); "
            "pass account=CODE for one of them"
        )
    )
    assert several["errors"][0]["field"] == "account"
    # Naming one still answers with the single-account shape.
    one = await ok(
        await client.get(shifted("/api/reports/recon?date=2026-11-20&account=1002-BANK"))
    )
    assert one["account"] == "1002-BANK"
    assert set(one) == set(OPENAPI_DOCUMENT["components"]["schemas"]["ReconReport"]["required"])
    page = await (await client.get(shifted("/api/reports/recon.html?date=2026-11-20"))).text()
    assert "1001-BANK" in page and "1002-BANK" in page  # the page shows every account


async def test_metrics_count_runs_made_elsewhere(client: Client, app_dsn: str) -> None:
    first = mismatches(await (await client.get("/metrics")).text())
    assert first == {"amount_mismatch": 1.0, "missing_in_bank": 1.0, "missing_in_ledger": 1.0}
    # Another process (a SQL caller here, the CLI in production) runs the same date again:
    # the counter counts the exceptions of that run too.
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        conn.execute("SELECT ledger.recon_run(%s, %s)", (BANK, DAY))
        conn.execute("SELECT ledger.recon_run(%s, %s, 0.05)", (BANK, DAY))
    second = mismatches(await (await client.get("/metrics")).text())
    assert second == {"amount_mismatch": 2.0, "missing_in_bank": 3.0, "missing_in_ledger": 3.0}
    text = await (await client.get("/metrics")).text()
    assert "# TYPE ledger_recon_mismatches_total counter" in text


async def test_metrics_survive_a_database_failure(client: Client) -> None:
    before = mismatches(await (await client.get("/metrics")).text())
    assert before
    dead = Ledger(
        f"host=127.0.0.1 port={localdb.free_port()} user=doublex_app dbname=x", pool_timeout=0.5
    )
    await dead.open(wait=False)
    try:
        async with api(dead, key="") as broken:
            response = await broken.get("/metrics")
            text = await response.text()
            assert response.status == 200
            assert "ledger_tx_total" in text or "http_requests_total" in text
            assert mismatches(text) == before  # the last value read, not an error
    finally:
        await dead.close()


def test_collector_without_a_first_read_exports_no_sample() -> None:
    collector = metrics.ReconMismatchCollector()
    (family,) = list(collector.collect())
    assert family.name == "ledger_recon_mismatches" and family.samples == []
    collector.update({"missing_in_bank": 4})
    (family,) = list(collector.collect())
    assert {s.labels["kind"]: s.value for s in family.samples} == {
        "amount_mismatch": 0,
        "missing_in_bank": 4,
        "missing_in_ledger": 0,
    }


def test_every_worker_exports_the_database_total(
    app_dsn: str, service_dsn: str, tmp_path: Path
) -> None:
    open_books(app_dsn)
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        post_bank(conn, "w-1", Decimal("10.00"), "W-1", DAY)
        for _ in range(3):  # three runs, one missing_in_bank each
            conn.execute("SELECT ledger.recon_run(%s, %s)", (BANK, DAY))
    log = tmp_path / "serve.log"
    with doublex_serve(service_dsn, log, "--workers", "2", LOG_LEVEL="ERROR") as base:
        scrapes = []
        for _ in range(8):
            with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
                scrapes.append(mismatches(response.read().decode()))
    expected = {"amount_mismatch": 0.0, "missing_in_bank": 3.0, "missing_in_ledger": 0.0}
    assert all(scrape == expected for scrape in scrapes), scrapes
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
