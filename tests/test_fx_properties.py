"""Properties of FX settlements on a real database, found by Hypothesis.

Random amounts, rates and currency pairs (0-, 2-, 3- and 4-decimal currencies, both fixed
sides, a looked-up direct rate, a looked-up inverse rate, or an explicit one) go through the
SQL the shell sends (doublex.db.QUERIES) on one serializable connection. For every example
the answer is compared with an independent computation in Python's decimal module (half-even
at 100 digits of precision), each of the two journals must balance in its own currency, the
residual must be exact minus rounded and at most half a minor unit, and the clearing accounts
must hold exactly the sums of the settlements. The books are checked from the tables at the
end (assert_ledger_invariants).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doublex import errors
from support.invariants import assert_ledger_invariants
from test_properties import Client  # the shell's QUERIES on one serializable connection

Row = dict[str, Any]
EXPONENT = {"EUR": 2, "USD": 2, "JPY": 0, "BHD": 3, "CLF": 4}
EXACT = Context(prec=100, rounding=ROUND_HALF_EVEN)
LIMIT = Decimal(10) ** 20
NORMAL_SIDE = {"A": "debit", "L": "credit"}  # asset and liability accounts per currency

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def client(app_dsn: str) -> Iterator[Client]:
    opened = Client(app_dsn)
    try:
        for ccy in EXPONENT:
            for suffix, kind in (("A", "asset"), ("L", "liability")):
                opened.create_account(f"{ccy}-{suffix}", ccy, kind)
        yield opened
    finally:
        opened.close()


def half_even(value: Decimal, exponent: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_EVEN, context=EXACT)


rates = st.builds(
    lambda digits, scale: Decimal(digits).scaleb(-scale),
    st.integers(1, 10**9),
    st.integers(0, 12),
)
examples = st.fixed_dictionaries(
    {
        "pair": st.permutations(sorted(EXPONENT)).map(lambda c: (c[0], c[1])),
        "from_kind": st.sampled_from("AL"),
        "to_kind": st.sampled_from("AL"),
        "fixed_side": st.sampled_from(["source", "destination"]),
        "minor": st.integers(1, 10**10),
        "rate": rates,
        "rate_from": st.sampled_from(["direct", "inverted", "override"]),
    }
)


def test_settlements_are_exact_and_balanced(client: Client, admin_dsn: str) -> None:
    days = itertools.count()
    # Per currency, what the settlements put into its clearing account (its balance on
    # the credit side, the open position).
    expected_clearing: dict[str, Decimal] = {ccy: Decimal(0) for ccy in EXPONENT}
    outcomes = {"posted": 0, "DX033": 0}

    @SETTINGS
    @given(example=examples)
    def check(example: dict[str, Any]) -> None:
        source, destination = example["pair"]
        fixed = source if example["fixed_side"] == "source" else destination
        amount = Decimal(example["minor"]).scaleb(-EXPONENT[fixed])
        # A new day per example, inside the ledger's window of 366 days around today.
        day = date.today() - timedelta(days=300) + timedelta(days=next(days))
        rate: Decimal = example["rate"]
        override = None
        if example["rate_from"] == "direct":
            client.call("upsert_fx_rate", rate_params(source, destination, rate, day))
        elif example["rate_from"] == "inverted":
            client.call("upsert_fx_rate", rate_params(destination, source, rate, day))
            rate = half_even(EXACT.divide(Decimal(1), rate), 12)
        else:
            override = rate

        if example["fixed_side"] == "source":
            exact = EXACT.multiply(amount, rate)
            computed_ccy = destination
        else:
            exact = EXACT.divide(amount, rate)
            computed_ccy = source
        computed = half_even(exact, EXPONENT[computed_ccy])

        params = {
            "idempotency_key": f"p-{uuid.uuid4()}",
            "from_account": f"{source}-{example['from_kind']}",
            "to_account": f"{destination}-{example['to_kind']}",
            "amount": amount,
            "fixed_side": example["fixed_side"],
            "rate": override,
            "effective_date": day,
            "memo": None,
            "ref": None,
            "tenant": "default",
        }
        if computed == 0 or computed >= LIMIT:
            with pytest.raises(errors.RuleViolation) as refused:
                client.call("post_fx_transfer", params)
            assert refused.value.code == "DX033"
            outcomes["DX033"] += 1
            return

        settled = client.call("post_fx_transfer", params)
        outcomes["posted"] += 1
        assert settled["status"] == "posted"
        assert settled["rate"] == rate
        assert settled["rate_basis"] == example["rate_from"]
        source_amount, destination_amount = (
            (amount, computed) if example["fixed_side"] == "source" else (computed, amount)
        )
        assert (settled["source_amount"], settled["destination_amount"]) == (
            source_amount,
            destination_amount,
        )
        # The residual: exact minus rounded, in the computed currency, at most half a minor unit.
        assert settled["residual_ccy"] == computed_ccy
        half_unit = Decimal(1).scaleb(-EXPONENT[computed_ccy]) / 2
        assert abs(settled["residual"]) <= half_unit
        if example["fixed_side"] == "source":
            assert settled["residual"] == exact - computed
        else:
            assert abs(settled["residual"] - (exact - computed)) <= Decimal("1e-20")

        check_journals(admin_dsn, settled)
        # The clearing account takes the other side of each journal: an asset that pays
        # credits and so debits clearing (its credit-normal balance drops), a liability the
        # opposite; likewise for the receiving account.
        paid_by_asset = example["from_kind"] == "A"
        received_by_asset = example["to_kind"] == "A"
        expected_clearing[source] += -source_amount if paid_by_asset else source_amount
        expected_clearing[destination] += (
            destination_amount if received_by_asset else -destination_amount
        )
        for ccy, total in expected_clearing.items():
            if total or ccy in (source, destination):
                row = client.call(
                    "get_balance",
                    {"account": f"FX-CLEARING-{ccy}", "as_of": None, "tenant": "default"},
                )
                assert row["balance"] == total, ccy

    check()
    assert outcomes["posted"] >= 20, outcomes
    assert_ledger_invariants(admin_dsn)


def rate_params(base: str, quote: str, rate: Decimal, day: date) -> dict[str, Any]:
    return {
        "base": base,
        "quote": quote,
        "rate": rate,
        "valid_on": day,
        "source": "hypothesis",
        "tenant": "default",
    }


def check_journals(admin_dsn: str, settled: Row) -> None:
    """Both journals: two legs in one currency, debits = credits, from down and to up."""
    with psycopg.connect(admin_dsn) as conn:
        for journal, ccy, amount in (
            (settled["source_journal_id"], settled["source_ccy"], settled["source_amount"]),
            (
                settled["destination_journal_id"],
                settled["destination_ccy"],
                settled["destination_amount"],
            ),
        ):
            legs = conn.execute(
                "SELECT a.code, l.side, l.amount, l.ccy, j.kind FROM ledger_private.leg AS l"
                " JOIN ledger_private.account AS a USING (account_id)"
                " JOIN ledger_private.journal AS j USING (journal_id)"
                " WHERE l.journal_id = %s ORDER BY l.leg_no",
                (journal,),
            ).fetchall()
            assert len(legs) == 2
            assert {leg[3] for leg in legs} == {ccy}
            assert {leg[4] for leg in legs} == {"fx"}
            assert sorted(leg[1] for leg in legs) == ["credit", "debit"]
            assert legs[0][2] == legs[1][2] == amount
        moved = {
            "from": (settled["from_account"], "source"),
            "to": (settled["to_account"], "destination"),
        }
        for direction, (code, _) in moved.items():
            kind = code.rsplit("-", 1)[1]
            side = conn.execute(
                "SELECT l.side FROM ledger_private.leg AS l"
                " JOIN ledger_private.account AS a USING (account_id)"
                " WHERE l.journal_id IN (%s, %s) AND a.code = %s",
                (settled["source_journal_id"], settled["destination_journal_id"], code),
            ).fetchone()
            assert side is not None
            increases = NORMAL_SIDE[kind]
            decreases = "credit" if increases == "debit" else "debit"
            assert side[0] == (increases if direction == "to" else decreases)
