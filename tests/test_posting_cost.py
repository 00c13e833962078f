"""The posting-cost report's arithmetic: pg_waldump's lines summed up per relation.

bench/posting_cost.py reads pg_waldump 15's output; these are lines of it, verbatim. The
runs themselves are `make bench-cost`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from support.dates import iso

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import posting_cost
import pytest

DAY = iso("2026-12-04")  # a commit record carries its timestamp
SPLIT_WITH_IMAGE = (
    "rmgr: Btree       len (rec/tot):   3877/  8009, tx:    1440287, lsn: 1/2A5C2058, "
    "prev 1/2A5C1FF8, desc: SPLIT_R level 0, firstrightoff 94, newitemoff 155, postingoff 0, "
    "blkref #0: rel 1663/23247/23355 blk 1897, blkref #1: rel 1663/23247/23355 blk 3172, "
    "blkref #2: rel 1663/23247/23355 blk 866 FPW"
)
HEAP_INSERT = (
    "rmgr: Heap        len (rec/tot):    185/   185, tx:    1440273, lsn: 1/2A5BA9D8, "
    "prev 1/2A5BA9A8, desc: INSERT off 27 flags 0x00, blkref #0: rel 1663/23247/23321 blk 3496"
)
COMMIT = (
    "rmgr: Transaction len (rec/tot):     34/    34, tx:    1440273, lsn: 1/2A5BBD80, "
    f"prev 1/2A5BBD20, desc: COMMIT {DAY} 03:50:44.036382 UTC"
)
NAMES = {"23355": "leg_account_history", "23321": "journal"}


def test_records_bytes_and_images_are_summed_per_relation_and_posting() -> None:
    lines = [HEAP_INSERT, SPLIT_WITH_IMAGE, HEAP_INSERT, COMMIT, COMMIT, "pg_waldump: error: x"]
    rows = {r["relation"]: r for r in posting_cost.wal_totals(lines, NAMES, postings=2)}
    assert rows["leg_account_history"] == {
        "relation": "leg_account_history",
        "records": 0.5,
        "bytes": 8009 / 2,
        "fpi": 0.5,
    }
    assert rows["journal"] == {"relation": "journal", "records": 1.0, "bytes": 185.0, "fpi": 0.0}
    assert rows["(Transaction)"] == {
        "relation": "(Transaction)",
        "records": 1.0,
        "bytes": 34.0,
        "fpi": 0.0,
    }


def test_relations_come_largest_first_and_unknown_filenodes_keep_their_number() -> None:
    rows = posting_cost.wal_totals([COMMIT, HEAP_INSERT, SPLIT_WITH_IMAGE], {}, postings=1)
    assert [r["relation"] for r in rows] == ["23355", "23321", "(Transaction)"]


def test_the_report_shows_both_windows_and_the_floor_ratios() -> None:
    window = posting_cost.Window("warm", 10, 16.0, 0.01, 1700.0, 51.0, {"leg": 2.0})
    floor = posting_cost.FloorRound(round=1, hot_tps=1000.0, floor_tps=1600.0, insert1_tps=8000.0)
    report = posting_cost.render([window, window], [floor], "hot")
    assert "| warm | 10 | 16.00 | 0.010 | 1700 | 51.0 |" in report
    assert "| 1 | 1,000 | 1,600 | 8,000 | 62.5% | 20.0% | 12.5% |" in report


def test_rows_deleted_show_only_when_a_window_deletes() -> None:
    window = posting_cost.Window("warm", 10, 44.0, 0.0, 4481.0, 150.0, {"open_hold_leg": 2.0})
    assert "Rows deleted" not in posting_cost.render([window], [], "hold")
    window.deletes = {"open_hold_leg": 2.0}
    report = posting_cost.render([window], [], "hold")
    assert (
        "## Rows deleted (warm)\n\n| table | rows |\n|---|---:|\n| open_hold_leg | 2.00 |" in report
    )


def timed_window(name: str, latency_ms: float, entry_us: float) -> posting_cost.Window:
    window = posting_cost.Window(name, 10, 16.0, 0.0, 1700.0, 51.0, {"leg": 2.0})
    window.latency_ms = latency_ms
    window.functions = [
        {"function": "ledger.post_journal", "calls": 1.0, "self_us": 9.0, "total_us": entry_us}
    ]
    return window


def test_against_base_head_is_slower_only_beyond_five_percent_and_the_noise() -> None:
    base = posting_cost.Window("base", 10, 15.0, 0.0, 1660.0, 57.0, {"leg": 2.0})
    head = posting_cost.Window("head", 10, 16.0, 0.0, 1727.0, 57.5, {"leg": 2.0})
    head.wal_by_relation = [{"relation": "journal_by_txid", "records": 1.0, "bytes": 67.0}]
    timed = [
        timed_window("base 1", 0.800, 400.0),
        timed_window("head 1", 0.820, 460.0),
        timed_window("head 2", 0.830, 470.0),
        timed_window("base 2", 0.780, 410.0),
    ]
    versus = posting_cost.Versus(
        "1b019ca",
        "7d905e8",
        "hot",
        10,
        {"base": base, "head": head},
        timed,
        {"start": "1", "end": "1"},
    )
    latency, entry = posting_cost.timings(versus)
    # Rounds head/base: latency 1.025, 1.064 (median +4.5%) → within the bar; the function
    # 1.150, 1.146 (+14.8%) against a spread of 2.5% → slower.
    assert posting_cost.verdict(latency) == "within 5%"
    assert posting_cost.verdict(entry) == "slower"
    assert entry.ratios == pytest.approx([1.15, 470 / 410])
    entry.base = [400.0, 480.0]  # rounds 1.150, 0.979: +6.5% against a base spread of 18.2%
    assert posting_cost.verdict(entry) == "above 5%, within the noise"
    report = posting_cost.render_versus(versus)
    assert "| WAL records | 15.00 | 16.00 | +1.00 |" in report
    assert "| journal_by_txid | 0.00 | 1.00 | 0 | 67 |" in report
    assert "| head 2 | 830 | 470 | 0 |" in report
    assert "| 1.025 1.064 | +4.5%; +4.4% | ±2.5% | within 5% |" in report


def test_interleaved_blocks_are_compared_block_by_block() -> None:
    window = posting_cost.Window("base", 10, 15.0, 0.0, 1660.0, 57.0, {"leg": 2.0})
    mixed = posting_cost.Interleaved(
        block=1000,
        cpu_us={"base": [500.0, 520.0], "head": [510.0, 530.0]},
        wall_us={"base": [900.0, 950.0], "head": [1000.0, 900.0]},
        entry_us={"base": 380.0, "head": 399.0},
    )
    versus = posting_cost.Versus(
        "1b019ca", "7d905e8", "hot", 10, {"base": window, "head": window}, [], {}, mixed
    )
    versus.load = {"start": "1", "end": "1"}
    cpu, wall = posting_cost.timings(versus)
    assert cpu.ratios == pytest.approx([1.02, 530 / 520])
    assert posting_cost.verdict(cpu) == "within 5%"
    assert wall.change_pct == pytest.approx(100 * ((1000 / 900 + 900 / 950) / 2 - 1))
    report = posting_cost.render_versus(versus)
    assert "base 380 µs, head 399 µs (+5.0%)" in report
