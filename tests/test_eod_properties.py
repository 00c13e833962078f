"""Properties of end of day, found by Hypothesis: random postings over random dates with
closes in between.

Each example works in a tenant of its own (closes are permanent) through the SQL the shell
sends (doublex.db.QUERIES) on one connection: postings at SERIALIZABLE, closes at READ
COMMITTED, as the shell runs them. A model tracks the closed date. Checked after every
example: a posting on or before the closed date was refused with DX025 and nothing else was;
a posting without a date got the next open date; every snapshot equals the sum of the legs
up to its date; every trial balance nets to zero; as-of balances (snapshot or live) equal
the legs; every seal verifies; re-running a close returns the same record.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
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

from doublex import errors
from doublex.db import QUERIES
from support.tenants import tenant_key, use_key

Row = dict[str, Any]
ACCOUNTS = {"CASH": "asset", "BANK": "asset", "SALES": "income", "LOAN": "liability"}
TENANTS = itertools.count()

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Client:
    """doublex.db.QUERIES on one connection, one transaction per call."""

    def __init__(self, dsn: str) -> None:
        self.conn: psycopg.Connection[Row] = psycopg.connect(
            dsn, autocommit=False, row_factory=dict_row
        )

    def rows(
        self,
        query: str,
        params: Mapping[str, Any],
        isolation: IsolationLevel = IsolationLevel.SERIALIZABLE,
    ) -> list[Row]:
        self.conn.isolation_level = isolation
        try:
            found = self.conn.execute(QUERIES[query], params).fetchall()
            self.conn.commit()
        except psycopg.Error as exc:
            self.conn.rollback()
            raise errors.from_database(exc) from exc
        return found

    def one(self, query: str, params: Mapping[str, Any], **options: Any) -> Row:
        return self.rows(query, params, **options)[0]


@pytest.fixture
def client(app_dsn: str) -> Iterator[Client]:
    opened = Client(app_dsn)
    try:
        yield opened
    finally:
        opened.conn.close()


@dataclass(frozen=True)
class Post:
    day: int | None  # days before today; None: no effective date
    debit: str
    credit: str
    cents: int


@dataclass(frozen=True)
class Close:
    day: int  # days before today (negative: the future)


operations = st.lists(
    st.one_of(
        st.builds(
            Post,
            day=st.one_of(st.none(), st.integers(0, 6)),
            debit=st.sampled_from(sorted(ACCOUNTS)),
            credit=st.sampled_from(sorted(ACCOUNTS)),
            cents=st.integers(1, 1_000_000),
        ).filter(lambda p: p.debit != p.credit),
        st.builds(Close, day=st.integers(-1, 6)),
    ),
    min_size=1,
    max_size=25,
)


def pair(op: Post) -> list[dict[str, str]]:
    amount = str(Decimal(op.cents) / 100)
    return [
        {"account": op.debit, "side": "debit", "amount": amount, "ccy": "EUR"},
        {"account": op.credit, "side": "credit", "amount": amount, "ccy": "EUR"},
    ]


@SETTINGS
@given(ops=operations)
def test_nothing_lands_in_a_closed_date_and_snapshots_equal_the_legs(
    client: Client,
    admin_dsn: str,
    admin_conn: psycopg.Connection[tuple[Any, ...]],
    ops: list[Post | Close],
) -> None:
    tenant = f"p{next(TENANTS)}"
    # doublex_app acts in the example's tenant through a key of it (#14), as the service does.
    use_key(client.conn, tenant_key(admin_dsn, tenant))
    for code, kind in ACCOUNTS.items():
        client.one(
            "create_account",
            {
                "code": code,
                "name": code,
                "ccy": "EUR",
                "type": kind,
                "allow_negative": True,
                "metadata": Jsonb({}),
                "tenant": tenant,
            },
        )
    today: date = client.one("business_date", {"at": None, "tenant": tenant})["business_date"]
    closed: date | None = None
    records: dict[date, Row] = {}
    for n, op in enumerate(ops):
        if isinstance(op, Post):
            day = None if op.day is None else today - timedelta(days=op.day)
            params = {
                "idempotency_key": f"k{n}",
                "legs": Jsonb(pair(op)),
                "effective_date": day,
                "memo": None,
                "ref": None,
                "metadata": Jsonb({}),
                "conditions": None,
                "tenant": tenant,
            }
            if day is not None and closed is not None and day <= closed:
                with pytest.raises(errors.RuleViolation) as refused:
                    client.one("post_journal", params)
                assert refused.value.code == "DX025"
                continue
            posted = client.one("post_journal", params)
            expected = day or max(today, closed + timedelta(days=1) if closed else today)
            assert posted["effective_date"] == expected
        else:
            day = today - timedelta(days=op.day)
            params = {"business_date": day, "tenant": tenant}
            if day > today:
                with pytest.raises(errors.RuleViolation) as future:
                    client.one("eod_close", params, isolation=IsolationLevel.READ_COMMITTED)
                assert future.value.code == "DX026"
                continue
            record = client.one("eod_close", params, isolation=IsolationLevel.READ_COMMITTED)
            if closed is not None and day <= closed:
                # Closed already: the record of the date, or of the close that covered a
                # date without activity; the same as when it was written.
                assert day <= record["business_date"] <= closed
                if record["business_date"] in records:
                    assert record == records[record["business_date"]]
            else:
                closed = day
            records[record["business_date"]] = record
    check_books(client, admin_conn, tenant, today, closed)


def check_books(
    client: Client,
    admin_conn: psycopg.Connection[tuple[Any, ...]],
    tenant: str,
    today: date,
    closed: date | None,
) -> None:
    status = client.one("eod_status", {"tenant": tenant})
    assert status["latest_closed_date"] == closed
    assert client.rows("verify_seals", {"tenant": tenant}) == []
    mismatched = admin_conn.execute(
        """
        SELECT s.account_id, s.business_date
          FROM ledger_private.account_snapshot AS s
         CROSS JOIN LATERAL (
               SELECT coalesce(sum(l.amount) FILTER (WHERE l.side = 'debit'), 0) AS d,
                      coalesce(sum(l.amount) FILTER (WHERE l.side = 'credit'), 0) AS c
                 FROM ledger_private.leg AS l
                WHERE l.account_id = s.account_id AND l.effective_date <= s.business_date) AS t
         WHERE s.tenant = %s AND (s.total_debits, s.total_credits) <> (t.d, t.c)
        """,
        (tenant,),
    ).fetchall()
    assert mismatched == []
    # Dense: every close holds a row for every account (all were opened before any close).
    sparse = admin_conn.execute(
        """
        SELECT c.business_date, count(s.account_id)
          FROM ledger_private.day_close AS c
          LEFT JOIN ledger_private.account_snapshot AS s
                 ON s.tenant = c.tenant AND s.business_date = c.business_date
         WHERE c.tenant = %s
         GROUP BY c.business_date
        HAVING count(s.account_id) <> %s
        """,
        (tenant, len(ACCOUNTS)),
    ).fetchall()
    assert sparse == []
    close_dates = [
        row[0]
        for row in admin_conn.execute(
            "SELECT business_date FROM ledger_private.day_close WHERE tenant = %s ORDER BY 1",
            (tenant,),
        )
    ]
    late = admin_conn.execute(
        """
        SELECT c.business_date FROM ledger_private.day_close AS c
         WHERE c.tenant = %s
           AND c.journals <> (SELECT count(*) FROM ledger_private.journal AS j
                               WHERE j.tenant = c.tenant AND j.effective_date = c.business_date)
        """,
        (tenant,),
    ).fetchall()
    assert late == []
    assert admin_conn.execute(
        "SELECT count(*) FROM ledger_private.trial_balance"
        " WHERE tenant = %s AND total_debits <> total_credits",
        (tenant,),
    ).fetchone() == (0,)
    for code, kind in ACCOUNTS.items():
        # One history row per closed date, moved or not, each opening where the one before
        # closed (nothing is posted on the dates closed through without a close of their own).
        history = client.rows(
            "balance_history",
            {"account": code, "from_date": None, "to_date": None, "tenant": tenant},
        )
        assert [h["business_date"] for h in history] == close_dates
        opening = Decimal(0)
        for h in history:
            assert h["opening_balance"] == opening
            moved = h["debits"] - h["credits"] if kind == "asset" else h["credits"] - h["debits"]
            assert h["closing_balance"] == opening + moved
            opening = h["closing_balance"]
        for back in range(-1, 8):
            as_of = today - timedelta(days=back)
            balance = client.one("get_balance", {"account": code, "as_of": as_of, "tenant": tenant})
            row = admin_conn.execute(
                """
                SELECT coalesce(sum(l.amount) FILTER (WHERE l.side = 'debit'), 0),
                       coalesce(sum(l.amount) FILTER (WHERE l.side = 'credit'), 0)
                  FROM ledger_private.leg AS l JOIN ledger_private.account AS a USING (account_id)
                 WHERE a.tenant = %s AND a.code = %s AND l.effective_date <= %s
                """,
                (tenant, code, as_of),
            ).fetchone()
            assert row is not None
            debits, credits = row
            expected = debits - credits if kind == "asset" else credits - debits
            assert balance["balance"] == expected
            source = "snapshot" if closed is not None and as_of <= closed else "live"
            assert balance["snapshot_source"] == source
