"""Properties of account statements, found by Hypothesis: random postings over random dates
with closes in between, then a random period read whole and a page at a time.

Each example works in a tenant of its own (closes are permanent), as the owner on one
connection: postings at SERIALIZABLE (ledger.post_journals), closes at READ COMMITTED. A
model keeps every leg posted. Checked for each account: the opening balance is the sum of
the legs before the period (closed days come from snapshots, open ones live), the legs are
exactly the model's legs of the period in effective order, each running balance is the one
before plus the leg on the normal side, the closing balance and the period's totals are the
model's, and the pages of a random size together are the whole statement.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg import IsolationLevel
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

Row = dict[str, Any]
ACCOUNTS = {"CASH": "asset", "BANK": "asset", "SALES": "income", "LOAN": "liability"}
NORMAL = {"asset": "debit", "income": "credit", "liability": "credit"}
TENANTS = itertools.count()
SPAN = 40  # postings and closes fall on the last SPAN days


@dataclass(frozen=True)
class Post:
    day: int  # days before today
    debit: str
    credit: str
    cents: int


@dataclass(frozen=True)
class Close:
    day: int


operations = st.lists(
    st.one_of(
        st.builds(
            Post,
            day=st.integers(0, SPAN),
            debit=st.sampled_from(sorted(ACCOUNTS)),
            credit=st.sampled_from(sorted(ACCOUNTS)),
            cents=st.integers(1, 10_000_000),
        ).filter(lambda p: p.debit != p.credit),
        st.builds(Close, day=st.integers(1, SPAN)),
    ),
    min_size=1,
    max_size=30,
)


@pytest.fixture
def conn(admin_dsn: str) -> Iterator[psycopg.Connection[Row]]:
    with psycopg.connect(admin_dsn, row_factory=dict_row) as opened:
        yield opened


def call(
    conn: psycopg.Connection[Row],
    sql: str,
    *params: Any,
    isolation: IsolationLevel = IsolationLevel.SERIALIZABLE,
) -> list[Row]:
    conn.isolation_level = isolation
    with conn.transaction():
        return conn.execute(sql, params).fetchall()


def leg_of(account: str, side: str, amount: Decimal) -> dict[str, str]:
    return {"account": account, "side": side, "amount": str(amount), "ccy": "EUR"}


def signed(leg: tuple[date, str, str, Decimal], code: str) -> Decimal:
    _, account, side, amount = leg
    assert account == code
    return amount if side == NORMAL[ACCOUNTS[code]] else -amount


def statement(
    conn: psycopg.Connection[Row], code: str, first: date, last: date, tenant: str, size: int
) -> list[Row]:
    rows: list[Row] = []
    cursor = None
    while not rows or rows[-1]["kind"] != "closing":
        rows += call(
            conn,
            "SELECT * FROM ledger.account_statement(%s, %s, %s, %s, %s, %s)",
            code, first, last, cursor, size, tenant,
        )  # fmt: skip
        cursor = rows[-1]["cursor"]
    return rows


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    ops=operations,
    window=st.tuples(st.integers(0, SPAN + 5), st.integers(0, SPAN + 5)),
    size=st.integers(1, 5),
)
def test_statements_follow_the_legs(
    conn: psycopg.Connection[Row], ops: list[Post | Close], window: tuple[int, int], size: int
) -> None:
    tenant = f"st{next(TENANTS)}"
    call(conn, "SELECT ledger.create_tenant(%s)", tenant)
    for code, kind in ACCOUNTS.items():
        call(conn, "SELECT ledger.create_account(%s, %s, 'EUR', %s, tenant => %s)",
             code, code, kind, tenant)  # fmt: skip
    today: date = call(conn, "SELECT ledger.business_date(tenant => %s) AS d", tenant)[0]["d"]
    closed: date | None = None
    legs: list[tuple[date, str, str, Decimal]] = []
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        if batch:
            results = call(conn, "SELECT * FROM ledger.post_journals(%s, %s)", Jsonb(batch), tenant)
            assert {r["status"] for r in results} == {"posted"}, results
            batch.clear()

    for n, op in enumerate(ops):
        day = today - timedelta(days=op.day)
        if isinstance(op, Close):
            if closed is None or day > closed:
                flush()
                call(conn, "SELECT ledger.eod_close(%s, %s)", day, tenant,
                     isolation=IsolationLevel.READ_COMMITTED)  # fmt: skip
                closed = day
        elif closed is None or day > closed:
            amount = Decimal(op.cents) / 100
            pair = [leg_of(op.debit, "debit", amount), leg_of(op.credit, "credit", amount)]
            batch.append(
                {"idempotency_key": f"k{n}", "effective_date": day.isoformat(), "legs": pair}
            )
            legs += [(day, op.debit, "debit", amount), (day, op.credit, "credit", amount)]
    flush()

    first, last = sorted(today - timedelta(days=back) for back in window)
    for code in ACCOUNTS:
        mine = [leg for leg in legs if leg[1] == code]
        whole = statement(conn, code, first, last, tenant, 1000)
        opening, *rows, closing = whole
        assert (opening["kind"], closing["kind"]) == ("opening", "closing")
        assert opening["balance"] == sum(
            (signed(leg, code) for leg in mine if leg[0] < first), Decimal(0)
        )
        period = [leg for leg in mine if first <= leg[0] <= last]
        assert sorted((r["effective_date"], r["side"], r["amount"]) for r in rows) == sorted(
            (leg[0], leg[2], leg[3]) for leg in period
        )
        assert [r["effective_date"] for r in rows] == sorted(r["effective_date"] for r in rows)
        balance = opening["balance"]
        for row in rows:
            balance += signed((row["effective_date"], code, row["side"], row["amount"]), code)
            assert row["balance"] == balance
        assert (
            closing["balance"]
            == balance
            == sum((signed(leg, code) for leg in mine if leg[0] <= last), Decimal(0))
        )
        assert closing["debits"] == sum((leg[3] for leg in period if leg[2] == "debit"), Decimal(0))
        assert closing["credits"] == sum(
            (leg[3] for leg in period if leg[2] == "credit"), Decimal(0)
        )
        assert statement(conn, code, first, last, tenant, size) == whole
