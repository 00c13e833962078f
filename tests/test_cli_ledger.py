"""The bookkeeping and end-of-day commands end to end: click's CliRunner with DOUBLEX_DSN
pointing at the test's own (fresh, migrated) database, so every command goes through
doublex.db to the real SQL API. Human output is checked for its tables, --json for exact
values, errors for `error DXnnn` and a non-zero exit."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

from doublex.cli import main


@pytest.fixture
def cli(admin_dsn: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DOUBLEX_DSN", admin_dsn)
    monkeypatch.delenv("DOUBLEX_SERVICE_DSN", raising=False)
    return CliRunner()


def run(cli: CliRunner, *args: str, code: int = 0) -> Result:
    result = cli.invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, (result.output, result.stderr)
    return result


def as_json(cli: CliRunner, *args: str) -> Any:
    return json.loads(run(cli, *args, "--json").stdout)


def today(cli: CliRunner) -> date:
    return date.fromisoformat(as_json(cli, "eod", "status")["business_date"])


@pytest.fixture
def books(cli: CliRunner) -> CliRunner:
    run(cli, "accounts", "create", "1001-CASH", "Cash at bank", "--ccy", "EUR")
    run(cli, "accounts", "create", "4001-SALES", "Sales", "--ccy", "EUR", "--type", "income")
    return cli


def test_accounts_create_list_show(cli: CliRunner) -> None:
    out = run(cli, "accounts", "create", "1001-CASH", "Cash at bank", "--ccy", "EUR").stdout
    assert "code             1001-CASH" in out and "normal side      debit" in out
    created = as_json(
        cli, "accounts", "create", "2001-LOAN", "Loan", "--ccy", "EUR", "--type", "liability",
        "--no-negative", "--metadata", '{"desk": "retail"}',
    )  # fmt: skip
    assert (created["normal_side"], created["allow_negative"]) == ("credit", False)
    assert created["metadata"] == {"desk": "retail"}
    listing = run(cli, "accounts", "list").stdout.splitlines()
    assert listing[0].split()[:3] == ["code", "name", "ccy"]
    assert [line.split()[0] for line in listing[2:]] == ["1001-CASH", "2001-LOAN"]
    assert [a["code"] for a in as_json(cli, "accounts", "list", "--after", "1001-CASH")] == [
        "2001-LOAN"
    ]
    shown = as_json(cli, "accounts", "show", "1001-CASH")
    assert (shown["code"], shown["balance"]) == ("1001-CASH", "0.00")
    failed = run(cli, "accounts", "create", "1001-CASH", "Again", "--ccy", "EUR", code=1)
    assert failed.stderr.startswith("error DX015:")
    failed = run(cli, "accounts", "show", "NOPE", code=1)
    assert failed.stderr.startswith("error DX020:")
    # Under --json a rejection is one JSON object on stdout, and still exit status 1.
    failed = run(cli, "accounts", "show", "NOPE", "--json", code=1)
    error = json.loads(failed.stdout)["error"]
    assert (error["code"], error["name"]) == ("DX020", "account_not_found")
    assert "NOPE" in error["message"] and failed.stderr == ""
    run(cli, "accounts", "create", "X", "Bad", "--ccy", "EUR", "--metadata", "[1]", code=2)
    # Tenants are first-class: an unknown one is DX043, a new one has no accounts.
    assert run(cli, "accounts", "list", "--tenant", "empty", code=1).stderr.startswith(
        "error DX043:"
    )
    run(cli, "tenants", "create", "empty")
    assert run(cli, "accounts", "list", "--tenant", "empty").stdout.strip() == "no accounts"


def test_page_size_is_the_ledgers_limit(books: CliRunner) -> None:
    """The CLI does not re-check the page size: the ledger answers with its own code (DX019),
    as it does for the API and for SQL callers."""
    for command in (("accounts", "list"), ("journals", "list")):
        for limit in ("0", "1001", "-1", str(2**31 - 1)):
            failed = run(books, *command, "--limit", limit, code=1)
            assert failed.stderr.startswith("error DX019:"), failed.stderr
        # Past the SQL integer it is not a page size at all: click's usage error, never an
        # internal error from a bigint the function does not take.
        run(books, *command, "--limit", str(2**31), code=2)
        assert isinstance(as_json(books, *command, "--limit", "1000"), list)
        run(books, *command, "--limit", "ten", code=2)  # not a number: click's usage error


def test_post_balance_journals(books: CliRunner, tmp_path: Path) -> None:
    cli = books
    day = today(cli)
    out = run(
        cli, "post", "--leg", "1001-CASH:debit:45.00:EUR", "--leg", "4001-SALES:credit:45.00:EUR",
        "--key", "tx-1", "--memo", "invoice 17", "--date", str(day - timedelta(days=2)),
    ).stdout  # fmt: skip
    assert "status   posted" in out and "key      tx-1" in out
    again = as_json(
        cli, "post", "--leg", "1001-CASH:debit:45.00:EUR", "--leg", "4001-SALES:credit:45.00:EUR",
        "--key", "tx-1", "--memo", "invoice 17", "--date", str(day - timedelta(days=2)),
    )  # fmt: skip
    assert again["status"] == "duplicate"
    file = tmp_path / "legs.json"
    file.write_text(
        json.dumps(
            {
                "legs": [
                    {"account": "1001-CASH", "side": "debit", "amount": "5.50", "ccy": "EUR"},
                    {"account": "4001-SALES", "side": "credit", "amount": "5.50", "ccy": "EUR"},
                ]
            }
        )
    )
    posted = as_json(cli, "post", "--legs-file", str(file))
    assert posted["effective_date"] == day.isoformat()
    assert posted["idempotency_key"].startswith("cli-")

    balance = as_json(cli, "balance", "1001-CASH")
    assert (balance["balance"], balance["snapshot_source"]) == ("50.50", "live")
    text = run(cli, "balance", "4001-SALES", "--as-of", str(day - timedelta(days=1))).stdout
    assert "balance  45.00" in text and "source   live" in text

    listed = as_json(cli, "journals", "list", "--account", "1001-CASH")
    assert listed[0]["idempotency_key"] == "tx-1"
    table = run(cli, "journals", "list", "--from", str(day), "--limit", "1").stdout
    assert "D 1001-CASH 5.50 EUR, C 4001-SALES 5.50 EUR" in table
    paged = run(cli, "journals", "list", "--limit", "1")
    assert "next page: --cursor" in paged.stderr
    assert run(cli, "journals", "list", "--to", "2000-01-01").stdout.strip() == "no journals"

    unbalanced = run(
        cli, "post", "--leg", "1001-CASH:debit:1.00:EUR", "--leg", "4001-SALES:credit:2.00:EUR",
        code=1,
    )  # fmt: skip
    assert unbalanced.stderr.startswith("error DX009:")
    run(cli, "post", "--leg", "1001-CASH:sideways:1:EUR", code=2)
    run(cli, "post", code=2)  # no legs at all
    run(cli, "post", "--legs-file", str(tmp_path / "missing.json"), code=2)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    run(cli, "post", "--legs-file", str(broken), code=2)


def test_eod_close_status_history_verify(books: CliRunner, admin_dsn: str) -> None:
    cli = books
    day = today(cli)
    for back, amount in ((3, "10.00"), (1, "2.50"), (0, "1.00")):
        run(
            cli, "post", "--leg", f"1001-CASH:debit:{amount}:EUR",
            "--leg", f"4001-SALES:credit:{amount}:EUR", "--date", str(day - timedelta(days=back)),
        )  # fmt: skip
    assert "open dates         " + str(day - timedelta(days=3)) in run(cli, "eod", "status").stdout
    assert as_json(cli, "eod", "status")["open_dates"] == [
        str(day - timedelta(days=3)),
        str(day - timedelta(days=1)),
        str(day),
    ]

    # Default date: the latest date fully past the cut-off (yesterday), with progress.
    closed = run(cli, "eod", "close")
    assert f"business date  {day - timedelta(days=1)}" in closed.stdout
    assert "EUR" in closed.stdout and "12.50" in closed.stdout  # the trial balance table
    # The progress bar moves through the fence and each date's phases (labels on stderr).
    assert [line for line in closed.stderr.splitlines() if line] == [
        "closing",
        "fenced",
        *(
            f"{day - timedelta(days=back)}: {phase}"
            for back in (3, 1)
            for phase in ("read the day", "snapshots written", "sealed")
        ),
    ]
    again = as_json(cli, "eod", "close", "--date", str(day - timedelta(days=1)))
    assert again["trial_balance"][0]["total_debits"] == "12.50"
    status_json = as_json(cli, "eod", "status")
    assert status_json["latest_closed_date"] == str(day - timedelta(days=1))
    assert status_json["last_seal"] == again["seal"]
    assert "open dates         " + str(day) in run(cli, "eod", "status").stdout

    history = as_json(
        cli, "history", "1001-CASH", "--from", str(day - timedelta(days=7)), "--to", str(day)
    )
    assert [(h["business_date"], h["closing_balance"]) for h in history] == [
        (str(day - timedelta(days=3)), "10.00"),
        (str(day - timedelta(days=1)), "12.50"),
    ]
    table = run(cli, "history", "4001-SALES", "--from", str(day), "--to", str(day)).stdout
    assert table.strip() == "no closed business dates in that range"
    backwards = run(
        cli, "history", "1001-CASH", "--from", str(day), "--to", str(day - timedelta(days=1)),
        code=1,
    )  # fmt: skip
    assert backwards.stderr.startswith("error DX029:")
    snapshot = as_json(cli, "balance", "1001-CASH", "--as-of", str(day - timedelta(days=2)))
    assert (snapshot["balance"], snapshot["snapshot_source"]) == ("10.00", "snapshot")

    late = run(
        cli, "post", "--leg", "1001-CASH:debit:1:EUR", "--leg", "4001-SALES:credit:1:EUR",
        "--date", str(day - timedelta(days=1)), code=1,
    )  # fmt: skip
    assert late.stderr.startswith("error DX025:") and "field: effective_date" in late.stderr
    future = run(cli, "eod", "close", "--date", str(day + timedelta(days=1)), code=1)
    assert future.stderr.startswith("error DX026:")

    assert "every closed date matches its seal" in run(cli, "eod", "verify").stdout
    assert as_json(cli, "eod", "verify") == []
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "UPDATE ledger_private.leg SET amount = amount * 2"
            " WHERE effective_date = %s AND leg_no = 1",
            (day - timedelta(days=3),),
        )
    tampered = run(cli, "eod", "verify", code=2)
    assert str(day - timedelta(days=3)) in tampered.stdout and "data" in tampered.stdout
    assert "1 closed date(s) fail verification" in tampered.stderr


def test_eod_settings(cli: CliRunner) -> None:
    shown = as_json(cli, "eod", "settings")
    assert (shown["time_zone"], shown["cutoff"]) == ("UTC", "00:00:00")
    changed = run(cli, "eod", "settings", "--time-zone", "Europe/Berlin", "--cutoff", "17:00")
    assert "time zone          Europe/Berlin" in changed.stdout
    assert "cut-off            17:00:00" in changed.stdout
    assert as_json(cli, "eod", "settings", "--cutoff", "18:30:00")["cutoff"] == "18:30:00"
    bad = run(cli, "eod", "settings", "--time-zone", "Mars/Base", code=1)
    assert bad.stderr.startswith("error DX027:")
    run(cli, "eod", "settings", "--cutoff", "25:00", code=2)
