"""`doublex holds …`, `doublex accounts limits` and `doublex available` end to end: click's
CliRunner on the test's own migrated database, every command through doublex.db to the SQL
API (ledger.create_hold, capture_hold, void_hold, get_hold, list_holds, expire_holds,
set_account_limits, get_available_balance)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from test_cli_ledger import as_json, run, today


@pytest.fixture
def cli(admin_dsn: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DOUBLEX_DSN", admin_dsn)
    monkeypatch.delenv("DOUBLEX_SERVICE_DSN", raising=False)
    runner = CliRunner()
    run(runner, "accounts", "create", "CASH", "Cash", "--ccy", "EUR")
    run(runner, "accounts", "create", "WALLET", "Wallet", "--ccy", "EUR", "--type", "liability",
        "--no-negative")  # fmt: skip
    run(runner, "accounts", "create", "SHOP", "Shop", "--ccy", "EUR", "--type", "liability")
    run(runner, "post", "--leg", "CASH:debit:100.00:EUR", "--leg", "WALLET:credit:100.00:EUR")
    return runner


SPEND = ("--leg", "WALLET:debit:30.00:EUR", "--leg", "SHOP:credit:30.00:EUR")


def test_hold_capture_void_and_balances(cli: CliRunner) -> None:
    created = as_json(cli, "holds", "create", *SPEND, "--key", "h1", "--memo", "card auth")
    assert created["status"] == "pending"
    assert as_json(cli, "holds", "create", *SPEND, "--key", "h1", "--memo", "card auth")[
        "status"
    ] == ("duplicate")
    available = as_json(cli, "available", "WALLET")
    assert (available["posted"], available["pending_debits"], available["available"]) == (
        "100.00", "30.00", "70.00")  # fmt: skip
    # `doublex balance` shows the same pending side now, and none as of a date.
    balance = as_json(cli, "balance", "WALLET")
    assert {name: balance[name] for name in available if name != "account"} == {
        name: value for name, value in available.items() if name != "account"
    }
    assert "available        70.00" in run(cli, "balance", "WALLET").stdout
    as_of = as_json(cli, "balance", "WALLET", "--as-of", str(today(cli)))
    assert (as_of["balance"], as_of["pending_debits"], as_of["available"]) == ("100.00", None, None)
    assert "available" not in run(cli, "balance", "WALLET", "--as-of", str(today(cli))).stdout
    hold_id = created["hold_id"]
    captured = as_json(cli, "holds", "capture", hold_id, "--amount", "20.00", "--amount", "20.00")
    assert captured["status"] == "captured" and captured["journal_id"]
    shown = as_json(cli, "holds", "show", hold_id)
    assert (shown["status"], shown["journal_id"]) == ("captured", captured["journal_id"])
    assert as_json(cli, "available", "WALLET")["available"] == "80.00"
    refused = run(cli, "holds", "void", hold_id, code=1)
    assert "DX050" in refused.stderr

    second = as_json(cli, "holds", "create", *SPEND)["hold_id"]
    assert as_json(cli, "holds", "void", second, "--key", "v2")["status"] == "voided"
    assert as_json(cli, "holds", "void", second, "--key", "v2")["status"] == "duplicate"
    assert "DX051" in run(cli, "holds", "capture", second, code=1).stderr
    listed = as_json(cli, "holds", "list", "--account", "WALLET")
    assert [row["status"] for row in listed] == ["captured", "voided"]
    assert [row["hold_id"] for row in as_json(cli, "holds", "list", "--status", "voided")] == [
        second
    ]
    table = run(cli, "holds", "list").stdout
    assert "debit WALLET 30.00 EUR" in table


def test_limits_and_expiry(cli: CliRunner) -> None:
    limits = as_json(cli, "accounts", "limits", "SHOP", "--max", "50")
    assert (limits["min_balance"], limits["max_balance"]) == (None, "50")
    refused = run(cli, "holds", "create", "--leg", "WALLET:debit:60.00:EUR",
                  "--leg", "SHOP:credit:60.00:EUR", code=1)  # fmt: skip
    assert "DX054" in refused.stderr and "SHOP" in refused.stderr
    assert "DX010" in run(cli, "holds", "create", "--leg", "WALLET:debit:100.01:EUR",
                          "--leg", "CASH:credit:100.01:EUR", code=1).stderr  # fmt: skip
    past = run(cli, "holds", "create", *SPEND, "--expires", "2000-01-01T00:00:00+0000", code=1)
    assert "DX055" in past.stderr
    assert "0 hold(s) marked expired" in run(cli, "holds", "expire").stdout
    assert "0 hold(s) marked expired" in run(cli, "maintain").stdout
