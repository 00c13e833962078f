"""A stateful model of holds and limits (Hypothesis RuleBasedStateMachine).

Random postings, holds, full and partial captures, voids, expiries (a controllable clock:
holds that expire "soon" and a rule that waits until they have), sweeps and a close run
against the database and, side by side, against a pure Python model of posted, pending and
available balances and of the limits. After every step the database answers what the model
says: each call's outcome (its status or DX code), every account's posted balance, pending
debits and credits and available balance, every hold's status; and the invariants hold
(available never below the floor, posted plus pending increases never above the maximum).

The clock: the ledger's hold clock is the database's (statement_timestamp()), so the model
controls it by choosing expiries and by waiting. A hold expires never, in an hour, or "soon"
(SOON seconds after creation); the rule `let_soon_holds_expire` sleeps until every soon hold
has expired, and only then does the model count them as released. So that no step runs
while a soon hold is about to expire (the model could not say which side of the instant the
database read), every step first settles the clock: a soon hold within MARGIN of its expiry
is waited out and counted as expired.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

Row = dict[str, Any]
TENANTS = itertools.count()
SOON = 3.0  # seconds until a "soon" hold expires
MARGIN = 1.0  # no step starts closer than this to a soon hold's expiry
CENT = Decimal("0.01")


@dataclass
class Account:
    code: str
    normal: str  # 'debit' or 'credit'
    floor: Decimal | None = None
    ceiling: Decimal | None = None
    posted: Decimal = Decimal(0)


@dataclass
class Hold:
    hold_id: Any
    legs: list[tuple[str, str, Decimal]]  # (account, side, amount)
    soon: bool
    expires_at: Any = None
    status: str = "pending"  # pending | captured | voided | expired
    swept: bool = False


@dataclass
class Model:
    accounts: dict[str, Account] = field(default_factory=dict)
    holds: list[Hold] = field(default_factory=list)

    def pending(self, code: str) -> tuple[Decimal, Decimal]:
        debits = credits = Decimal(0)
        for hold in self.holds:
            if hold.status != "pending":
                continue
            for account, side, amount in hold.legs:
                if account == code:
                    if side == "debit":
                        debits += amount
                    else:
                        credits += amount
        return debits, credits

    def position(
        self, code: str, moves: dict[str, Decimal] | None = None
    ) -> tuple[Decimal, Decimal]:
        """(available, posted plus pending increases) with extra posted moves applied."""
        account = self.accounts[code]
        posted = account.posted + (moves or {}).get(code, Decimal(0))
        debits, credits = self.pending(code)
        reducing, increasing = (credits, debits) if account.normal == "debit" else (debits, credits)
        return posted - reducing, posted + increasing

    def violation(
        self, legs: list[tuple[str, str, Decimal]], moves: dict[str, Decimal]
    ) -> str | None:
        """The DX code the first leg on an account outside its limits raises, or None."""
        for code, _, _ in legs:
            account = self.accounts[code]
            available, used = self.position(code, moves)
            if account.floor is not None and available < account.floor:
                return "DX010"
            if account.ceiling is not None and used > account.ceiling:
                return "DX054"
        return None

    def moves(self, legs: list[tuple[str, str, Decimal]]) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for code, side, amount in legs:
            sign = 1 if side == self.accounts[code].normal else -1
            out[code] = out.get(code, Decimal(0)) + sign * amount
        return out


def legs_json(legs: list[tuple[str, str, Decimal]]) -> Jsonb:
    return Jsonb([{"account": a, "side": s, "amount": str(m), "ccy": "EUR"} for a, s, m in legs])


amounts = st.integers(min_value=1, max_value=10_000).map(lambda cents: Decimal(cents) / 100)
PAIRS = [
    ("WALLET", "SHOP"),
    ("CREDIT", "SHOP"),
    ("CASH", "WALLET"),
    ("CASH", "CREDIT"),
    ("WALLET", "CREDIT"),
    ("CASH", "SHOP"),
]


class HoldsMachine(RuleBasedStateMachine):
    holds = Bundle("holds")

    def __init__(self) -> None:
        super().__init__()
        self.conn: psycopg.Connection[Row] = psycopg.connect(HoldsMachine.dsn, row_factory=dict_row)
        self.conn.execute("SET default_transaction_isolation = 'serializable'")
        self.conn.commit()
        self.tenant = f"holds{next(TENANTS)}"
        self.keys = itertools.count()
        self.closed = False
        self.model = Model()
        self.call("SELECT ledger.create_tenant(%s)", self.tenant)
        for code, kind, allow_negative, normal in (
            ("CASH", "asset", True, "debit"),
            ("WALLET", "liability", False, "credit"),
            ("CREDIT", "liability", True, "credit"),
            ("SHOP", "liability", True, "credit"),
        ):
            self.call(
                "SELECT ledger.create_account(%s, %s, 'EUR', %s, %s, '{}', %s)",
                code,
                code,
                kind,
                allow_negative,
                self.tenant,
            )
            self.model.accounts[code] = Account(
                code, normal, Decimal(0) if not allow_negative else None
            )
        self.call("SELECT ledger.set_account_limits('CREDIT', -100, NULL, %s)", self.tenant)
        self.model.accounts["CREDIT"].floor = Decimal(-100)
        self.call("SELECT ledger.set_account_limits('SHOP', NULL, 300, %s)", self.tenant)
        self.model.accounts["SHOP"].ceiling = Decimal(300)

    dsn: str = ""

    def teardown(self) -> None:
        self.conn.close()

    def call(self, sql: str, *params: Any) -> tuple[str, Row | None]:
        """One transaction: ('ok', first row) or (DX code, None); retried on 40001."""
        for _ in range(20):
            try:
                with self.conn.transaction():
                    row = self.conn.execute(sql, params).fetchone()
                return "ok", row
            except psycopg.Error as exc:
                if exc.sqlstate in ("40001", "40P01"):
                    continue
                if exc.sqlstate and exc.sqlstate.startswith("DX"):
                    return exc.sqlstate, None
                raise
        raise AssertionError("retries exhausted")

    def settle(self) -> None:
        """Wait out the soon holds that expire within MARGIN; the model counts them expired."""
        due = [h for h in self.model.holds if h.soon and h.status == "pending" and h.expires_at]
        if not due:
            return
        _, row = self.call("SELECT clock_timestamp() AS now")
        assert row is not None
        near = [h for h in due if (h.expires_at - row["now"]).total_seconds() < MARGIN]
        if near:
            wait = max((h.expires_at - row["now"]).total_seconds() for h in near)
            time.sleep(max(wait, 0) + 0.05)
            for hold in near:
                hold.status = "expired"

    def key(self) -> str:
        self.settle()
        return f"k{next(self.keys)}"

    # Rules ------------------------------------------------------------------------------
    @rule(pair=st.sampled_from(PAIRS), amount=amounts)
    def post(self, pair: tuple[str, str], amount: Decimal) -> None:
        legs = [(pair[0], "debit", amount), (pair[1], "credit", amount)]
        moves = self.model.moves(legs)
        expected = self.model.violation(legs, moves)
        outcome, _ = self.call(
            "SELECT ledger.post_journal(%s, %s, tenant => %s)",
            self.key(),
            legs_json(legs),
            self.tenant,
        )
        assert outcome == (expected or "ok"), (legs, outcome, expected)
        if outcome == "ok":
            for code, move in moves.items():
                self.model.accounts[code].posted += move

    @rule(
        target=holds,
        pair=st.sampled_from(PAIRS),
        amount=amounts,
        expiry=st.sampled_from(["never", "hour", "soon"]),
    )
    def hold(self, pair: tuple[str, str], amount: Decimal, expiry: str) -> Any:
        legs = [(pair[0], "debit", amount), (pair[1], "credit", amount)]
        candidate = Hold(None, legs, soon=expiry == "soon")
        self.model.holds.append(candidate)
        expected = self.model.violation(legs, {})
        expires = {"never": None, "hour": "1 hour", "soon": f"{SOON} seconds"}[expiry]
        outcome, row = self.call(
            "SELECT hold_id, status, expires_at FROM ledger.create_hold(%s, %s, "
            "CASE WHEN %s::interval IS NULL THEN NULL ELSE clock_timestamp() + %s::interval END,"
            " tenant => %s)",
            self.key(),
            legs_json(legs),
            expires,
            expires,
            self.tenant,
        )
        assert outcome == (expected or "ok"), (legs, outcome, expected)
        if row is None:
            self.model.holds.remove(candidate)
            return None
        assert row["status"] == "pending"
        candidate.hold_id = row["hold_id"]
        candidate.expires_at = row["expires_at"]
        return candidate

    @rule(hold=holds, part=st.sampled_from(["all", "half"]), backdate=st.booleans())
    def capture(self, hold: Hold | None, part: str, backdate: bool) -> None:
        if hold is None:
            return
        key = self.key()
        amounts_arg = None
        legs = hold.legs
        if part == "half":
            half = (hold.legs[0][2] / 2).quantize(CENT)
            legs = [(a, s, half) for a, s, _ in hold.legs] if half > 0 else []
            amounts_arg = Jsonb([str(half)] * len(hold.legs))
        backdated = backdate and self.closed
        outcome, row = self.call(
            "SELECT * FROM ledger.capture_hold(%s, %s, %s, "
            "CASE WHEN %s THEN ledger.business_date(tenant => %s) - 1 END, tenant => %s)",
            hold.hold_id,
            key,
            amounts_arg,
            backdated,
            self.tenant,
            self.tenant,
        )
        expected = {"captured": "DX050", "voided": "DX051", "expired": "DX052"}.get(hold.status)
        if expected is None and not legs:
            expected = "DX053"
        if expected is None and backdated:
            expected = "DX025"
        assert outcome == (expected or "ok"), (hold, part, outcome, expected)
        if outcome == "ok":
            assert row is not None and row["status"] == "captured"
            hold.status = "captured"
            for code, move in self.model.moves(legs).items():
                self.model.accounts[code].posted += move
            # The same key and request again: duplicate, the same journal.
            again, replay = self.call(
                "SELECT * FROM ledger.capture_hold(%s, %s, %s, NULL, tenant => %s)",
                hold.hold_id,
                key,
                amounts_arg,
                self.tenant,
            )
            assert again == "ok" and replay is not None
            assert (replay["status"], replay["journal_id"]) == ("duplicate", row["journal_id"])

    @rule(hold=holds)
    def void(self, hold: Hold | None) -> None:
        if hold is None:
            return
        outcome, _ = self.call(
            "SELECT * FROM ledger.void_hold(%s, %s, tenant => %s)",
            hold.hold_id,
            self.key(),
            self.tenant,
        )
        expected = {"captured": "DX050", "voided": "DX051", "expired": "DX052"}.get(hold.status)
        assert outcome == (expected or "ok"), (hold, outcome, expected)
        if outcome == "ok":
            hold.status = "voided"

    @precondition(lambda self: any(h.soon and h.status == "pending" for h in self.model.holds))
    @rule()
    def let_soon_holds_expire(self) -> None:
        time.sleep(SOON + 0.1)
        for hold in self.model.holds:
            if hold.soon and hold.status == "pending":
                hold.status = "expired"
        # From here no step may outlive another soon hold by accident: they are new.

    @rule()
    def sweep(self) -> None:
        self.settle()
        outcome, row = self.call("SELECT ledger.expire_holds(%s) AS n", self.tenant)
        due = [h for h in self.model.holds if h.status == "expired" and not h.swept]
        assert outcome == "ok" and row is not None and row["n"] == len(due)
        for hold in due:
            hold.swept = True

    @precondition(lambda self: not self.closed)
    @rule()
    def close_yesterday(self) -> None:
        outcome, _ = self.call(
            "SELECT ledger.eod_close(ledger.business_date(tenant => %s) - 1, %s)",
            self.tenant,
            self.tenant,
        )
        assert outcome == "ok"
        self.closed = True  # pending holds survive it: the invariants below still agree

    # After every step ----------------------------------------------------------------------
    @invariant()
    def balances_agree(self) -> None:
        self.settle()
        for code, account in self.model.accounts.items():
            _, row = self.call(
                "SELECT * FROM ledger.get_available_balance(%s, %s)", code, self.tenant
            )
            assert row is not None
            debits, credits = self.model.pending(code)
            available, used = self.model.position(code)
            assert (
                row["posted"],
                row["pending_debits"],
                row["pending_credits"],
                row["available"],
            ) == (account.posted, debits, credits, available), (code, row)
            if account.floor is not None:
                assert available >= account.floor
            if account.ceiling is not None:
                assert used <= account.ceiling

    @invariant()
    def statuses_agree(self) -> None:
        self.settle()
        for hold in self.model.holds:
            if hold.hold_id is None:
                continue
            _, row = self.call(
                "SELECT status FROM ledger.get_hold(%s, %s)", hold.hold_id, self.tenant
            )
            assert row is not None and row["status"] == hold.status, (hold, row)


def test_holds_agree_with_the_model(admin_dsn: str) -> None:
    HoldsMachine.dsn = admin_dsn
    HoldsMachine.TestCase.settings = settings(
        max_examples=12,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    HoldsMachine.TestCase().runTest()
