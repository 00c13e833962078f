"""Balance monitors against a pure Python model (Hypothesis RuleBasedStateMachine).

Four monitors with thresholds Hypothesis draws around the balances the steps reach (one
account's available and posted balance, every liability's available balance, an asset's
available balance), then random postings, holds, full and half captures and voids, each its
own SERIALIZABLE transaction. The model (test_holds_model.Model: posted, pending, available)
says after each step which (monitor, account) conditions changed; the database must have
announced exactly those, no more, in that step's transaction: one monitor.triggered when a
condition becomes true, one monitor.resolved when it stops, so each (monitor, account)
alternates triggered, resolved, triggered… And list_monitors shows where each holds now.
Expiry by time is pgtap/24_monitors.sql's (the sweep); concurrency is test_monitors.py's.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import psycopg
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from support.events import read_events, sequence_all
from test_holds_model import Account, Hold, Model, legs_json

Row = dict[str, Any]
TENANTS = itertools.count()
CONDITIONS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip
ACCOUNTS = {"CASH": ("asset", "debit"), "WALLET": ("liability", "credit"),
            "SHOP": ("liability", "credit")}  # fmt: skip
# label → (account or None, account_type or None, field, condition)
MONITORS = {
    "wallet-low": ("WALLET", None, "available", "<"),
    "wallet-high": ("WALLET", None, "posted", ">="),
    "liabilities": (None, "liability", "available", "<="),
    "cash": ("CASH", None, "available", ">"),
}
PAIRS = [("WALLET", "SHOP"), ("CASH", "WALLET"), ("SHOP", "WALLET"), ("CASH", "SHOP"),
         ("WALLET", "CASH")]  # fmt: skip
amounts = st.integers(min_value=1, max_value=40).map(lambda halves: Decimal(halves) / 2)
thresholds = st.integers(min_value=-30, max_value=30).map(lambda halves: Decimal(halves) / 2)


class MonitorsMachine(RuleBasedStateMachine):
    dsn: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.conn: psycopg.Connection[Row] = psycopg.connect(self.dsn, row_factory=dict_row)
        self.conn.execute("SET default_transaction_isolation = 'serializable'")
        self.conn.commit()
        self.tenant = f"mon{next(TENANTS)}"
        self.keys = itertools.count()
        self.model = Model()
        self.position = 0
        self.labels: dict[str, str] = {}  # monitor_id → label
        self.thresholds: dict[str, Decimal] = {}
        self.triggered: set[tuple[str, str]] = set()  # (label, account) where it holds
        self.history: list[tuple[str, str, str]] = []  # (label, account, type)
        self.call("SELECT ledger.create_tenant(%s)", self.tenant)
        for code, (kind, normal) in ACCOUNTS.items():
            self.call(
                "SELECT ledger.create_account(%s, %s, 'EUR', %s, tenant => %s)",
                code, code, kind, self.tenant,
            )  # fmt: skip
            self.model.accounts[code] = Account(code, normal)

    def teardown(self) -> None:
        self.conn.close()

    def call(self, sql: str, *params: Any) -> Row | None:
        """One transaction to its end (retried on 40001), then the events it announced are
        checked against the model."""
        for _ in range(20):
            try:
                with self.conn.transaction():
                    return self.conn.execute(sql, params).fetchone()
            except psycopg.Error as exc:
                if exc.sqlstate not in ("40001", "40P01"):
                    raise
        raise AssertionError("retries exhausted")

    def covered(self, label: str) -> list[str]:
        account, account_type, _, _ = MONITORS[label]
        return [c for c, (kind, _) in ACCOUNTS.items() if c == account or kind == account_type]

    def value(self, label: str, code: str) -> Decimal:
        available, _ = self.model.position(code)
        return available if MONITORS[label][2] == "available" else self.model.accounts[code].posted

    def expect_and_check(self) -> None:
        """What the model says changed since the last step, against what was announced."""
        expected = []
        for label in self.thresholds:
            for code in self.covered(label):
                value = self.value(label, code)
                holds = CONDITIONS[MONITORS[label][3]](value, self.thresholds[label])
                if holds != ((label, code) in self.triggered):
                    kind = "monitor.triggered" if holds else "monitor.resolved"
                    expected.append((label, code, kind, f"{value:.2f}"))
                    self.triggered ^= {(label, code)}
        sequence_all(self.dsn)
        events = read_events(self.dsn, after=self.position, tenant=self.tenant)
        if events:
            self.position = events[-1]["position"]
        announced = [
            (self.labels[e["payload"]["monitor_id"]], e["payload"]["account"], e["type"],
             e["payload"]["value"])
            for e in events if e["type"].startswith("monitor.")
        ]  # fmt: skip
        assert sorted(announced) == sorted(expected), (announced, expected)
        self.history += [(label, code, kind) for label, code, kind, _ in announced]

    # Rules ------------------------------------------------------------------------------------
    @initialize(low=thresholds, high=thresholds, liabilities=thresholds, cash=thresholds)
    def create_monitors(
        self, low: Decimal, high: Decimal, liabilities: Decimal, cash: Decimal
    ) -> None:
        chosen = {"wallet-low": low, "wallet-high": high, "liabilities": liabilities, "cash": cash}
        for label, threshold in chosen.items():
            account, account_type, field, condition = MONITORS[label]
            row = self.call(
                "SELECT monitor_id FROM ledger.create_monitor(%s, %s, %s, %s, %s, %s)",
                account, account_type, field, condition, threshold, self.tenant,
            )  # fmt: skip
            assert row is not None
            self.labels[str(row["monitor_id"])] = label
            self.thresholds[label] = threshold
            self.expect_and_check()

    @rule(pair=st.sampled_from(PAIRS), amount=amounts)
    def post(self, pair: tuple[str, str], amount: Decimal) -> None:
        legs = [(pair[0], "debit", amount), (pair[1], "credit", amount)]
        self.call(
            "SELECT ledger.post_journal(%s, %s, tenant => %s)",
            f"p{next(self.keys)}", legs_json(legs), self.tenant,
        )  # fmt: skip
        for code, move in self.model.moves(legs).items():
            self.model.accounts[code].posted += move
        self.expect_and_check()

    @rule(pair=st.sampled_from(PAIRS), amount=amounts)
    def hold(self, pair: tuple[str, str], amount: Decimal) -> None:
        legs = [(pair[0], "debit", amount), (pair[1], "credit", amount)]
        row = self.call(
            "SELECT hold_id FROM ledger.create_hold(%s, %s, tenant => %s)",
            f"h{next(self.keys)}", legs_json(legs), self.tenant,
        )  # fmt: skip
        assert row is not None
        self.model.holds.append(Hold(row["hold_id"], legs, soon=False))
        self.expect_and_check()

    def pending(self, pick: int) -> Hold | None:
        live = [h for h in self.model.holds if h.status == "pending"]
        return live[pick % len(live)] if live else None

    @rule(pick=st.integers(min_value=0, max_value=99), half=st.booleans())
    def capture(self, pick: int, half: bool) -> None:
        hold = self.pending(pick)
        if hold is None:
            return
        amount = hold.legs[0][2] / 2 if half and hold.legs[0][2] >= 1 else hold.legs[0][2]
        self.call(
            "SELECT ledger.capture_hold(%s, %s, %s, tenant => %s)",
            hold.hold_id, f"c{next(self.keys)}",
            Jsonb([str(amount)] * 2),
            self.tenant,
        )  # fmt: skip
        hold.status = "captured"
        for code, move in self.model.moves([(a, s, amount) for a, s, _ in hold.legs]).items():
            self.model.accounts[code].posted += move
        self.expect_and_check()

    @rule(pick=st.integers(min_value=0, max_value=99))
    def void(self, pick: int) -> None:
        hold = self.pending(pick)
        if hold is None:
            return
        self.call(
            "SELECT ledger.void_hold(%s, %s, tenant => %s)",
            hold.hold_id, f"v{next(self.keys)}", self.tenant,
        )  # fmt: skip
        hold.status = "voided"
        self.expect_and_check()

    # Invariants -------------------------------------------------------------------------------
    @invariant()
    def each_crossing_once_in_turn(self) -> None:
        """Per (monitor, account): triggered, resolved, triggered… never twice in a row."""
        for key, series in itertools.groupby(sorted(
            ((label, code), i, kind) for i, (label, code, kind) in enumerate(self.history)
        ), key=lambda item: item[0]):  # fmt: skip
            kinds = [kind for _, _, kind in series]
            assert kinds == ["monitor.triggered", "monitor.resolved"] * (len(kinds) // 2) + (
                ["monitor.triggered"] if len(kinds) % 2 else []
            ), (key, kinds)

    @invariant()
    def list_monitors_shows_the_model(self) -> None:
        if not self.thresholds:
            return
        with self.conn.transaction():
            rows = self.conn.execute(
                "SELECT monitor_id, triggered FROM ledger.list_monitors(%s)", (self.tenant,)
            ).fetchall()
        shown = {(self.labels[str(r["monitor_id"])], code) for r in rows for code in r["triggered"]}
        assert shown == self.triggered


def test_monitors_agree_with_the_model(admin_dsn: str) -> None:
    MonitorsMachine.dsn = admin_dsn
    MonitorsMachine.TestCase.settings = settings(
        max_examples=15,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    MonitorsMachine.TestCase().runTest()
