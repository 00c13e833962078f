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
