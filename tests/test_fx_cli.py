"""`doublex fx …` end to end: click's CliRunner with DOUBLEX_DSN (the admin DSN) pointing at
the test's own database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result

from doublex.cli import main
from doublex.cli.fx import parse_decimal, read_rates
from support.dates import iso, shifted
from support.invariants import assert_ledger_invariants

AdminConn = psycopg.Connection[tuple[Any, ...]]


@pytest.fixture
def cli(admin_dsn: str, app_dsn: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DOUBLEX_DSN", admin_dsn)
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        for code, ccy, kind in (("EUR-CASH", "EUR", "asset"), ("USD-CASH", "USD", "asset")):
            conn.execute(
                "SELECT ledger.create_account(code => %s, name => %s, ccy => %s, type => %s)",
                (code, code, ccy, kind),
            )
    return CliRunner()


def run(cli: CliRunner, *args: str) -> Result:
    result = cli.invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_rate_set_and_get(cli: CliRunner) -> None:
    result = run(
        cli,
        "fx",
        "rate",
        "set",
        "EUR",
        "USD",
        "1.0850",
        "--on",
        iso("2026-01-01"),
        "--source",
        "ECB",
    )
    assert result.exit_code == 0, result.output
    assert "rate       1.0850" in result.output and "direction  direct" in result.output

    result = run(cli, "fx", "rate", "get", "USD", "EUR", "--on", iso("2026-02-01"), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "base": "USD",
        "quote": "EUR",
        "rate": "0.921658986175",
        "valid_on": iso("2026-01-01"),
        "direction": "inverted",
        "source": "ECB",
    }
    result = run(cli, "fx", "rate", "set", "EUR", "USD", "1.1", "--json")  # the business date
    assert json.loads(result.output)["rate"] == "1.1"
    assert json.loads(run(cli, "fx", "rate", "get", "EUR", "USD", "--json").output)["rate"] == "1.1"


def test_rate_set_defaults_to_the_business_date(cli: CliRunner) -> None:
    # UTC+14 with the day ending one second after local midnight: the business date is
    # always after today's UTC date, so a UTC default would miss it.
    run(cli, "eod", "settings", "--time-zone", "Etc/GMT-14", "--cutoff", "00:00:01")
    before = date.fromisoformat(
        json.loads(run(cli, "eod", "status", "--json").output)["business_date"]
    )
    stored = json.loads(run(cli, "fx", "rate", "set", "EUR", "USD", "1.2", "--json").output)
    after = date.fromisoformat(
        json.loads(run(cli, "eod", "status", "--json").output)["business_date"]
    )
    valid_on = date.fromisoformat(stored["valid_on"])
    assert valid_on in (before, after) and valid_on > datetime.now(UTC).date()
    found = json.loads(run(cli, "fx", "rate", "get", "EUR", "USD", "--json").output)
    assert (found["rate"], found["valid_on"]) == ("1.2", stored["valid_on"])


def test_rate_errors_exit_1_with_the_dx_code(cli: CliRunner) -> None:
    result = run(cli, "fx", "rate", "get", "EUR", "JPY", "--on", iso("2026-01-01"))
    assert result.exit_code == 1
    assert "error DX032: rate: no EUR/JPY rate" in result.output
    result = run(cli, "fx", "rate", "set", "EUR", "EUR", "1")
    assert result.exit_code == 1 and "error DX031" in result.output
    result = run(cli, "fx", "rate", "set", "EUR", "USD", "1e3")
    assert result.exit_code == 2 and "is not a decimal" in result.output
    # Ranges are the ledger's: a negative rate or amount gets its DX code, not a usage error.
    result = run(cli, "fx", "rate", "set", "EUR", "USD", "--", "-1")
    assert result.exit_code == 1 and "error DX030" in result.output
    result = run(cli, "fx", "transfer", "EUR-CASH", "USD-CASH", "--", "-5")
    assert result.exit_code == 1 and "error DX003" in result.output


def test_transfer_and_replay(cli: CliRunner, admin_dsn: str) -> None:
    run(cli, "fx", "rate", "set", "EUR", "USD", "1.1000", "--on", iso("2026-01-01"))
    args = (
        "fx",
        "transfer",
        "EUR-CASH",
        "USD-CASH",
        "100.00",
        "--key",
        "k1",
        "--on",
        iso("2026-02-01"),
    )
    first = run(cli, *args, "--json")
    assert first.exit_code == 0, first.output
    settled = json.loads(first.output)
    assert (settled["status"], settled["destination_amount"]) == ("posted", "110.00")
    again = json.loads(run(cli, *args, "--json").output)
    assert again == settled | {"status": "duplicate"}

    table = run(
        cli, "fx", "transfer", "EUR-CASH", "USD-CASH", "1.00", "--fixed-side", "destination"
    )
    assert table.exit_code == 0, table.output
    assert "source amount        0.91" in table.output
    assert "residual             -0.00090909090909090909" in table.output

    conflict = run(cli, "fx", "transfer", "EUR-CASH", "USD-CASH", "5.00", "--key", "k1")
    assert conflict.exit_code == 1 and "error DX011" in conflict.output
    assert_ledger_invariants(admin_dsn)


def test_position_table_and_json(cli: CliRunner) -> None:
    assert "no FX settlements yet" in run(cli, "fx", "position").output
    run(cli, "fx", "rate", "set", "EUR", "USD", "1.25", "--on", iso("2026-01-01"))
    run(cli, "fx", "transfer", "EUR-CASH", "USD-CASH", "10.00", "--on", iso("2026-01-02"))
    result = run(cli, "fx", "position", "--reporting-ccy", "USD")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "ccy",
        "clearing",
        "account",
        "position",
        "rate",
        "rate",
        "valid",
        "on",
        "value",
    ]
    assert lines[2].split() == [
        "EUR",
        "FX-CLEARING-EUR",
        "-10.00",
        "1.25",
        iso("2026-01-01"),
        "-12.50",
    ]
    assert lines[3].split() == ["USD", "FX-CLEARING-USD", "12.50", "1", "12.50"]
    rows = json.loads(run(cli, "fx", "position", "--as-of", iso("2026-01-01"), "--json").output)
    assert [(r["ccy"], r["position"]) for r in rows] == [("EUR", "0.00"), ("USD", "0.00")]


def test_rates_import_all_or_nothing(cli: CliRunner, tmp_path: Path, admin_conn: AdminConn) -> None:
    good = tmp_path / "rates.csv"
    good.write_text(
        "base,quote,rate,valid_on\n"
        + "".join(
            f"EUR,USD,1.{n:04d},2025-{1 + n // 28:02d}-{1 + n % 28:02d}\n" for n in range(300)
        )
        + shifted("\nEUR,JPY,161.25,2026-01-01\n")
    )
    result = run(cli, "fx", "rates", "import", str(good), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["imported"] == 301
    assert "importing rates" in result.stderr
    count = admin_conn.execute("SELECT count(*) FROM ledger_private.fx_rate").fetchone()
    assert count == (301,)

    bad = tmp_path / "bad.csv"
    bad.write_text(
        shifted(
            "base,quote,rate,valid_on,source\n"
            "EUR,GBP,0.85,2026-01-01,ECB\n"  # 2: fine
            "EUR,GBP,abc,2026-01-01,ECB\n"  # 3: not a decimal
            "EUR,GBP,0.86,01/02/2026,ECB\n"  # 4: not a date
            "EUR,GBP,0.85\n"  # 5: too few fields
            "EUR,GBP,0.87,2026-01-01,ECB\n"  # 6: repeats line 2
        )
    )
    result = run(cli, "fx", "rates", "import", str(bad))
    assert result.exit_code == 1
    for number in (3, 4, 5, 6):
        assert f"bad.csv:{number}:" in result.stderr
    assert "bad.csv:2:" not in result.stderr
    assert "4 bad line(s); nothing was imported" in result.stderr

    refused = tmp_path / "refused.csv"
    refused.write_text(
        "base,quote,rate,valid_on\n"
        + "".join(f"GBP,USD,1.{n:03d},2026-02-{1 + n % 28:02d}\n" for n in range(28))
        + shifted("GBP,GBP,1,2026-03-01\n")  # 30: DX031
        + shifted("GBP,XXX,1,2026-03-01\n")  # 31: DX005
        + "".join(f"GBP,CHF,1.{n:03d},{date(2024, 1, 1) + timedelta(n)}\n" for n in range(600))
        + shifted("GBP,CHF,0,2026-01-01\n")  # 632: DX030, in a later chunk
    )
    result = run(cli, "fx", "rates", "import", str(refused), "--json")
    assert result.exit_code == 1
    reported = json.loads(result.stdout)
    assert [(r["line"], r["reason"][:6]) for r in reported] == [
        (30, "DX031:"),
        (31, "DX005:"),
        (632, "DX030:"),
    ]
    count = admin_conn.execute("SELECT count(*) FROM ledger_private.fx_rate").fetchone()
    assert count == (301,), "a refused import wrote nothing"

    header = tmp_path / "header.csv"
    header.write_text("pair,rate\nEURUSD,1.1\n")
    result = run(cli, "fx", "rates", "import", str(header))
    assert result.exit_code == 1 and "header.csv:1: the header must be" in result.stderr


def test_csv_and_decimal_parsing() -> None:
    assert parse_decimal("1.0850") is not None
    assert [parse_decimal(t) for t in ("", ".", "1e3", "-", "1,5", "1.2.3", "NaN")] == [None] * 7
    # A sign is part of a decimal's type; whether it may be negative is the ledger's rule.
    assert parse_decimal("-1") == Decimal("-1")
    lines, problems = read_rates("base,quote,rate,valid_on\n\nEUR,USD,1.1,2026-13-01\n")
    assert lines == [] and [(p.line, p.reason[:8]) for p in problems] == [(3, "valid_on")]
    assert read_rates("")[1][0].line == 1
