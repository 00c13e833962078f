"""The SQL benchmark's arithmetic: what it reads from pgbench, and how it judges the bars.

A wrong ratio or a misread summary would report a bar as met when it is not, so the parts
that turn pgbench's output into PASS/FAIL are tested here on pgbench's own formats. The
runs themselves are `make bench-sql`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import pooler
import run_sql_bench as bench

# The closing summary of a pgbench 15 run with --max-tries and --failures-detailed.
SUMMARY = """\
pgbench (15.18 (Debian 15.18-0+deb12u1))
transaction type: bench/pgbench/hot.sql
scaling factor: 1
query mode: prepared
number of clients: 16
number of threads: 2
maximum number of tries: 10
duration: 10 s
number of transactions actually processed: 27280
number of failed transactions: 3 (0.011%)
number of serialization failures: 2 (0.007%)
number of deadlock failures: 1 (0.004%)
number of transactions retried: 40 (0.147%)
total number of retries: 55
latency average = 5.871 ms
initial connection time = 21.405 ms
tps = 2728.114302 (without initial connection time)
"""


def run(scenario: str, clients: int, tps: float, **extra: object) -> bench.RunResult:
    journals = bench.SCENARIO_BY_NAME[scenario].journals_per_tx
    fields: dict[str, object] = {
        "scenario": scenario,
        "clients": clients,
        "duration_s": 10,
        "tps": tps,
        "journals_per_s": tps * journals if journals > 1 else None,
        "processed": int(tps * 10),
        "failed": 0,
        "serialization_failures": 0,
        "deadlock_failures": 0,
        "retried": 0,
        "retries": 0,
        "p50_ms": 1.0,
        "p95_ms": 2.0,
        "p99_ms": 3.0,
        "aborted": False,
        "posted_check": "",
    }
    fields.update(extra)
    return bench.RunResult(**fields)  # type: ignore[arg-type]


def bars_by_name(results: list[bench.RunResult]) -> dict[str, bench.Bar]:
    bench.add_ceiling_ratios(results)
    return {bar.name: bar for bar in bench.evaluate_bars(results)}


def test_the_summary_is_read_field_by_field() -> None:
    assert bench.parse_summary(SUMMARY) == {
        "processed": 27280,
        "failed": 3,
        "serialization_failures": 2,
        "deadlock_failures": 1,
        "retried": 40,
        "retries": 55,
        "tps": 2728.114302,
    }


def test_a_summary_without_retry_lines_reads_as_zero_retries() -> None:
    plain = "\n".join(line for line in SUMMARY.splitlines() if "retr" not in line)
    found = bench.parse_summary(plain)
    assert (found["retried"], found["retries"], found["processed"]) == (0, 0, 27280)


def test_latencies_come_from_successful_transactions_only(tmp_path: Path) -> None:
    # client tx time_us script epoch us [retries]; failures carry a word instead of a time.
    (tmp_path / "tx.1").write_text(
        "0 0 1500 0 1700000000 1 0\n0 1 failed 0 1700000000 2 9\n1 0 2500 0 1700000000 3 1\n"
    )
    (tmp_path / "tx.1.1").write_text("2 0 serialization 0 1700000000 4 9\n3 0 900 0 1 5 0\n")
    assert sorted(bench.successful_latencies_us(tmp_path)) == [900, 1500, 2500]


@pytest.mark.parametrize(
    ("fraction", "expected_ms"), [(0.5, 5.0), (0.95, 10.0), (0.99, 10.0), (0.1, 1.0)]
)
def test_percentiles_are_nearest_rank(fraction: float, expected_ms: float) -> None:
    ten = [1000 * i for i in range(1, 11)]
    assert bench.percentile_ms(ten, fraction) == expected_ms


def test_no_latencies_have_no_percentile() -> None:
    assert bench.percentile_ms([], 0.95) is None


def test_ratios_compare_with_the_ceiling_at_the_same_client_count() -> None:
    results = [
        run("insert1", 16, 20_000),
        run("insert1", 64, 25_000),
        run("uniform", 16, 3_000),
        run("uniform", 64, 2_500),
        run("batch100", 16, 90),
    ]
    bench.add_ceiling_ratios(results)
    ratios = {(r.scenario, r.clients): r.pct_of_ceiling for r in results}
    assert ratios[("uniform", 16)] == pytest.approx(15.0)
    assert ratios[("uniform", 64)] == pytest.approx(10.0)
    assert ratios[("batch100", 16)] == pytest.approx(45.0)  # 9,000 journals/s


def test_bars_pass_at_their_thresholds_and_fail_just_below() -> None:
    met = bars_by_name(
        [
            run("insert1", 16, 20_000),
            run("uniform", 16, 3_000),  # exactly 15%
            run("uniform", 64, 2_400),  # exactly 80%
            run("hot", 16, 2_000, p95_ms=15.0, retries=200, processed=20_000),
            run("batch100", 16, 80),  # 8,000 journals/s: exactly 40%
            run("balance", 1, 7_000, p95_ms=1.0),
        ]
    )
    assert all(bar.passed for name, bar in met.items() if bar.passed is not None), met
    missed = bars_by_name(
        [
            run("insert1", 16, 20_000),
            run("uniform", 16, 2_999),
            run("uniform", 64, 2_399),
            run("hot", 16, 1_999, p95_ms=15.01, retries=201, processed=20_000),
            run("batch100", 16, 79.99),
            run("balance", 1, 7_000, p95_ms=1.001),
        ]
    )
    assert [name for name, bar in missed.items() if bar.passed is False] == [
        "uniform@16 ≥ 15% of INSERT ceiling@16",
        "hot@16 ≥ 10% of INSERT ceiling@16",
        "hot@16 p95 ≤ 15 ms",
        "hot@16 retries ≤ 1 per 100 commits",
        "uniform: TPS@64 ≥ 80% of TPS@16",
        "batch100@16 journals/s ≥ 40% of ceiling rows/s",
        "balance@1 p95 ≤ 1 ms",
    ]


def test_a_bar_whose_runs_are_missing_is_not_measured() -> None:
    bars = bars_by_name([run("insert1", 1, 4_000), run("uniform", 1, 1_500)])
    assert bars["uniform@16 ≥ 15% of INSERT ceiling@16"].passed is None
    assert bars["hot@16 p95 ≤ 15 ms"].measured == "not measured"


def test_scaling_of_batch100_compares_journals_per_second() -> None:
    bars = bars_by_name([run("batch100", 16, 100), run("batch100", 64, 79)])
    assert bars["batch100: TPS@64 ≥ 80% of TPS@16"].measured == "79.0%"
    assert bars["batch100: TPS@64 ≥ 80% of TPS@16"].passed is False


def test_session_settings_become_pgoptions_directly_and_set_statements_pooled() -> None:
    balance = bench.SCENARIO_BY_NAME["balance"]
    assert balance.pgoptions == (
        "-c default_transaction_read_only=on -c default_transaction_deferrable=on"
    )
    assert balance.set_statements == (
        "SET default_transaction_read_only = on",
        "SET default_transaction_deferrable = on",
    )
    assert bench.SCENARIO_BY_NAME["uniform"].pgoptions == ""


def test_pgbouncer_config_names_every_alias_and_quotes_its_connect_query(tmp_path: Path) -> None:
    ini = pooler.render_ini(
        "host=127.0.0.1 port=5999 user=doublex_app dbname=doublex_bench",
        {"doublex_bench_uniform": (), "doublex_bench_balance": ("SET a = 'x'", "SET b = on")},
        port=6001,
        pool_size=20,
        folder=tmp_path,
    )
    lines = ini.splitlines()
    assert "doublex_bench_uniform = host=127.0.0.1 port=5999 dbname=doublex_bench" in lines
    assert (
        "doublex_bench_balance = host=127.0.0.1 port=5999 dbname=doublex_bench "
        "connect_query='SET a = ''x''; SET b = on'"
    ) in lines
    assert "pool_mode = transaction" in lines
    assert "default_pool_size = 20" in lines
    assert "listen_port = 6001" in lines


def test_the_pooled_route_reaches_every_scenario_through_its_own_alias() -> None:
    route = bench.Route("pgbouncer", "pooled", "127.0.0.1", "6001", "doublex_app", "extended", True)
    balance = bench.SCENARIO_BY_NAME["balance"]
    assert route.dbname(balance) == "doublex_bench_balance"
    assert route.env(balance) is None  # connect_query sets what PGOPTIONS would
    direct = bench.Route("direct", "direct", "127.0.0.1", "5999", "doublex_app", "prepared", False)
    assert direct.dbname(balance) == "doublex_bench"
    env = direct.env(balance)
    assert env is not None and env["PGOPTIONS"] == balance.pgoptions
