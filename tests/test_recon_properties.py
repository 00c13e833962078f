"""Hypothesis: random ledgers and statements with injected ref typos, amount deltas and lines
missing on either side. ledger.recon_run must give every statement line exactly one outcome
and every leg at most one, its totals must add up, and its pairing must be exactly what the
rules say, checked against a small reference model of them written here in Python: same ref
first (smallest difference first), then amounts within the tolerance one to one (smallest
difference first, ties by date, line id, journal id, leg number), the rest missing. Re-runs
compute the greedy both ways ledger_private.recon_pair_greedy can (rounds only; one round
then the sequential finish) and must give the same outcome."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.types.json import Jsonb

from support.dates import day

DAY = day("2026-11-20")
REFS = ["R1", "R2", "R3", "R4", None]
CENTS = [100, 101, 102, 150, 250, -100, -101, -250]
DELTAS = [0, 0, 0, 1, -1, 2, 50]
accounts = itertools.count(1)


@dataclass(frozen=True)
class Line:
    line_no: int
    cents: int
    ref: str | None


@dataclass(frozen=True)
class Leg:
    key: int  # which generated leg (journal i, leg j) this is
    cents: int
    ref: str | None


@st.composite
def books(draw: st.DrawFn) -> tuple[list[list[tuple[int, str | None]]], list[Line], int]:
    """Journals (each one or two bank legs sharing a ref), statement lines, tolerance."""
    journals = draw(
        st.lists(
            st.tuples(
                st.lists(st.sampled_from(CENTS), min_size=1, max_size=2), st.sampled_from(REFS)
            ),
            max_size=8,
        )
    )
    legs = [(cents, ref) for amounts, ref in journals for cents in amounts]
    lines: list[tuple[int, str | None]] = []
    for cents, ref in legs:
        fate = draw(st.sampled_from(["same", "same", "typo", "delta", "missing"]))
        if fate == "missing":
            continue
        delta = draw(st.sampled_from(DELTAS)) if fate != "same" else 0
        line_ref = (ref or "R") + "x" if fate == "typo" else ref
        lines.append((cents + delta, line_ref))
    extra = draw(st.lists(st.tuples(st.sampled_from(CENTS), st.sampled_from(REFS)), max_size=3))
    lines.extend(extra)
    order = draw(st.permutations(range(len(lines))))
    numbered = [Line(n + 2, lines[i][0], lines[i][1]) for n, i in enumerate(order)]
    tolerance = draw(st.sampled_from([0, 1, 2]))
    return [[(c, ref) for c in amounts] for amounts, ref in journals], numbered, tolerance


def post(
    conn: psycopg.Connection[Any], account: str, n: int, legs: list[tuple[int, str | None]]
) -> UUID:
    ref = legs[0][1]
    body = [
        {
            "account": account,
            "side": "debit" if c > 0 else "credit",
            "amount": str(Decimal(abs(c)).scaleb(-2)),
            "ccy": "EUR",
        }
        for c, _ in legs
    ]
    net = sum(c for c, _ in legs)
    if net:
        body.append(
            {
                "account": f"{account}-S",
                "side": "credit" if net > 0 else "debit",
                "amount": str(Decimal(abs(net)).scaleb(-2)),
                "ccy": "EUR",
            }
        )
    else:
        body.append({"account": f"{account}-S", "side": "debit", "amount": "0.01", "ccy": "EUR"})
        body.append({"account": f"{account}-S", "side": "credit", "amount": "0.01", "ccy": "EUR"})
    row = conn.execute(
        "SELECT journal_id FROM ledger.post_journal(%s, %s, %s, ref => %s)",
        (f"{account}-{n}", Jsonb(body), DAY, ref),
    ).fetchone()
    assert row is not None
    journal_id: UUID = row[0]
    return journal_id


def reference(
    lines: list[Line], legs: dict[tuple[UUID, int], Leg], tolerance: int
) -> set[tuple[str, int | None, tuple[UUID, int] | None, int | None, int]]:
    """The rules, one edge at a time: (kind, line, leg, pass, delta in cents)."""
    used_lines: dict[int, tuple[tuple[UUID, int], int, int]] = {}
    used_legs: set[tuple[UUID, int]] = set()

    def greedy(edges: list[tuple[int, int, tuple[UUID, int], int]], pass_no: int) -> None:
        for _, line_no, leg, delta in sorted(
            edges, key=lambda e: (e[0], e[1], e[2][0].int, e[2][1])
        ):
            if line_no not in used_lines and leg not in used_legs:
                used_lines[line_no] = (leg, pass_no, delta)
                used_legs.add(leg)

    greedy(
        [
            (abs(l.cents - g.cents), l.line_no, k, l.cents - g.cents)
            for l in lines  # noqa: E741
            for k, g in legs.items()
            if l.ref is not None and l.ref == g.ref
        ],
        1,
    )
    greedy(
        [
            (abs(l.cents - g.cents), l.line_no, k, l.cents - g.cents)
            for l in lines  # noqa: E741
            if l.line_no not in used_lines
            for k, g in legs.items()
            if k not in used_legs and abs(l.cents - g.cents) <= tolerance
        ],
        2,
    )
    expected: set[tuple[str, int | None, tuple[UUID, int] | None, int | None, int]] = set()
    for line in lines:
        if line.line_no in used_lines:
            leg, pass_no, delta = used_lines[line.line_no]
            kind = "matched" if pass_no == 2 or abs(delta) <= tolerance else "amount_mismatch"
            expected.add((kind, line.line_no, leg, pass_no, delta))
        else:
            expected.add(("missing_in_ledger", line.line_no, None, None, line.cents))
    for key, leg in legs.items():
        if key not in used_legs:
            expected.add(("missing_in_bank", None, key, None, -leg.cents))
    return expected


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=books())
def test_recon_follows_the_rules(app_dsn: str, case: Any) -> None:
    journals, lines, tolerance_cents = case
    account = f"BANK-{next(accounts)}"
    tolerance = Decimal(tolerance_cents).scaleb(-2)
    with psycopg.connect(app_dsn, autocommit=True) as conn:
        conn.execute("SELECT ledger.create_account(%s, 'bank', 'EUR')", (account,))
        conn.execute(
            "SELECT ledger.create_account(%s, 'sales', 'EUR', 'income')", (f"{account}-S",)
        )
        legs: dict[tuple[UUID, int], Leg] = {}
        for n, journal in enumerate(journals):
            journal_id = post(conn, account, n, journal)
            for leg_no, (cents, ref) in enumerate(journal, start=1):
                legs[(journal_id, leg_no)] = Leg(n, cents, ref)
        if lines:
            with conn.transaction():
                conn.execute("SELECT ledger.stage_statement()")
                with conn.cursor().copy(
                    "COPY pg_temp.doublex_statement_staging"
                    " (line_no, line_date, ref, amount, bank_id) FROM STDIN"
                ) as copy:
                    for line in lines:
                        copy.write_row(
                            (
                                line.line_no,
                                DAY.isoformat(),
                                line.ref,
                                str(Decimal(line.cents).scaleb(-2)),
                                f"B{line.line_no}",
                            )
                        )
                imported = conn.execute(
                    "SELECT status, added FROM ledger.import_statement(%s)", (account,)
                ).fetchone()
            assert imported == ("imported", len(lines))
        summary = conn.execute(
            "SELECT statement_lines, legs, matched, amount_mismatch, missing_in_ledger,"
            "       missing_in_bank, bank_total, ledger_total, difference, unmatched"
            "  FROM ledger.recon_run(%s, %s, %s)",
            (account, DAY, tolerance),
        ).fetchone()
        items = conn.execute(
            "SELECT kind, line, journal_id, leg_no, match_pass, delta"
            "  FROM ledger.recon_items(%s, %s)",
            (DAY, account),
        ).fetchall()
        # Re-runs pair the same whichever way the greedy is computed: only rounds of locally
        # dominant edges (0), or one round and then the sequential finish (1).
        reruns = []
        for share in ("1", "0"):
            conn.execute("SELECT set_config('doublex.recon_round_share', %s, false)", (share,))
            again = conn.execute(
                "SELECT matched FROM ledger.recon_run(%s, %s, %s)", (account, DAY, tolerance)
            ).fetchone()
            items_again = conn.execute(
                "SELECT kind, line, journal_id, leg_no, match_pass, delta"
                "  FROM ledger.recon_items(%s, %s)",
                (DAY, account),
            ).fetchall()
            assert again is not None
            reruns.append((again[0], sorted(items_again, key=repr)))
    assert summary is not None
    (
        n_lines,
        n_legs,
        matched,
        mismatch,
        missing_ledger,
        missing_bank,
        bank_total,
        ledger_total,
        difference,
        unmatched,
    ) = summary

    # One outcome per line, at most one per leg.
    per_line = Counter(line for _, line, *_ in items if line is not None)
    assert sorted(per_line) == sorted(line.line_no for line in lines)
    assert set(per_line.values()) <= {1}
    per_leg = Counter((j, n) for _, _, j, n, _, _ in items if j is not None)
    assert set(per_leg.values()) <= {1}
    # Counts and totals add up.
    assert n_lines == len(lines) == matched + mismatch + missing_ledger
    assert n_legs == len(legs) == matched + mismatch + missing_bank
    assert unmatched == mismatch + missing_ledger + missing_bank
    assert bank_total == sum(Decimal(line.cents) for line in lines) / 100
    assert ledger_total == sum(Decimal(leg.cents) for leg in legs.values()) / 100
    assert difference == bank_total - ledger_total == sum(delta for *_, delta in items)
    # Exactly what the rules pair, and the same again on a re-run.
    got = {
        (kind, line, (j, n) if j is not None else None, p, int(delta * 100))
        for kind, line, j, n, p, delta in items
    }
    assert got == reference(lines, legs, tolerance_cents)
    assert reruns == [(matched, sorted(items, key=repr))] * 2
