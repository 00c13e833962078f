"""The revision comparison's arithmetic: when is head called slower than base?

A wrong verdict would let a refactoring slow the posting paths unnoticed (or block a
harmless one), so the parts that turn two sets of rounds into a verdict are tested here.
The runs themselves are `make bench-compare`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import compare_revisions as cmp


def report(**tps: float) -> dict[str, object]:
    results = [
        {"scenario": run.split("_")[0], "clients": int(run.split("_")[1]), "throughput": v}
        for run, v in tps.items()
    ]
    return {"sections": [{"route": "direct", "results": results}]}


def test_spread_is_range_over_mean_and_zero_for_one_round() -> None:
    assert cmp.spread_pct([90.0, 110.0]) == pytest.approx(20.0)
    assert cmp.spread_pct([100.0]) == 0.0


def test_head_is_slower_only_beyond_the_noise_of_either_revision() -> None:
    base = {"uniform@16": [1000.0, 1040.0], "hot@16": [500.0, 500.0]}
    # uniform: -6.4% against a base spread of 3.9% → slower.
    # hot: -3% against a head spread of 4.1% → within the noise.
    head = {"uniform@16": [960.0, 950.0], "hot@16": [475.0, 495.0]}
    rows = {r.run: r for r in cmp.compare(base, head)}
    assert rows["uniform@16"].verdict == "slower"
    assert rows["uniform@16"].change_pct == pytest.approx(-6.37, abs=0.01)
    assert rows["uniform@16"].noise_pct == pytest.approx(3.92, abs=0.01)
    assert rows["hot@16"].verdict == "same"
    assert rows["hot@16"].noise_pct == pytest.approx(4.12, abs=0.01)


def test_faster_beyond_noise_and_exactly_at_noise_is_same() -> None:
    rows = cmp.compare({"a@1": [100.0, 110.0]}, {"a@1": [130.0, 130.0]})
    assert rows[0].verdict == "faster"
    at_edge = cmp.compare({"a@1": [100.0, 100.0]}, {"a@1": [100.0, 100.0]})
    assert at_edge[0].verdict == "same" and at_edge[0].change_pct == 0.0


def test_a_moving_ceiling_counts_as_noise_for_its_client_count() -> None:
    base = {"insert1@16": [10_000.0], "uniform@16": [1000.0], "uniform@4": [500.0]}
    head = {"insert1@16": [9_000.0], "uniform@16": [920.0], "uniform@4": [460.0]}
    rows = {r.run: r for r in cmp.compare(base, head)}
    assert rows["insert1@16"].noise_pct == pytest.approx(10.0)
    assert rows["uniform@16"].noise_pct == pytest.approx(10.0)
    assert rows["uniform@16"].verdict == "same"  # -8% while the ceiling moved 10%
    assert rows["uniform@4"].noise_pct == 0.0  # no ceiling measured at 4 clients
    assert rows["uniform@4"].verdict == "slower"


def test_runs_missing_from_head_are_left_out_and_base_order_kept() -> None:
    rows = cmp.compare({"b@16": [1.0], "a@16": [2.0]}, {"a@16": [2.0], "b@16": [1.0], "c@1": [3.0]})
    assert [r.run for r in rows] == ["b@16", "a@16"]
    assert cmp.compare({"a@16": [1.0]}, {}) == []


def test_rounds_alternate_which_revision_goes_first() -> None:
    assert cmp.order_of_rounds(3) == [
        (0, "base"), (0, "head"), (1, "head"), (1, "base"), (2, "base"), (2, "head"),
    ]  # fmt: skip


def test_throughputs_are_read_per_scenario_and_client_count() -> None:
    samples: cmp.Samples = {}
    cmp.add_round(samples, report(uniform_16=1000.0, batch100_16=4200.0))
    cmp.add_round(samples, report(uniform_16=1100.0, batch100_16=4000.0))
    assert samples == {"uniform@16": [1000.0, 1100.0], "batch100@16": [4200.0, 4000.0]}


def test_markdown_shows_every_round_the_change_and_the_verdict() -> None:
    rows = cmp.compare({"uniform@16": [1000.0, 1040.0]}, {"uniform@16": [960.0, 950.0]})
    text = cmp.render_markdown(rows, {"base": "abc1234", "head": "def5678"})
    assert "- base: abc1234" in text
    row = "| uniform@16 | 1,000 / 1,040 | 960 / 950 | 1,020 | 955 | -6.4% | ±3.9% | slower |"
    assert row in text
