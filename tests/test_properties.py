"""Properties of ledger.post_journal on a real database, found by Hypothesis.

Each test gets its own database with a few EUR, USD, JPY and BHD accounts of mixed types and
posts random journals into it through the same SQL the shell sends (doublex.db.QUERIES),
one example after another, on one serializable connection. Between examples a roll-up runs
at random points, so balances are read both from checkpoints and from the legs above the
watermark. After each example the books are checked from the tables.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
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
from support.invariants import assert_ledger_invariants

Row = dict[str, Any]
Leg = dict[str, str]
AdminConn = psycopg.Connection[tuple[Any, ...]]

EXPONENT = {"EUR": 2, "USD": 2, "JPY": 0, "BHD": 3}
# code → (currency, type). Every account may go negative, so a balanced journal always posts.
ACCOUNTS: dict[str, tuple[str, str]] = {
    "EUR-CASH": ("EUR", "asset"),
    "EUR-LIAB": ("EUR", "liability"),
    "EUR-REV": ("EUR", "income"),
    "USD-CASH": ("USD", "asset"),
    "USD-FEES": ("USD", "expense"),
    "USD-EQ": ("USD", "equity"),
    "JPY-CASH": ("JPY", "asset"),
    "JPY-LIAB": ("JPY", "liability"),
    "BHD-CASH": ("BHD", "asset"),
    "BHD-REV": ("BHD", "income"),
}
NORMAL_SIDE = {"asset": "debit", "expense": "debit"}  # otherwise credit
BY_CCY = {ccy: sorted(c for c, (cc, _) in ACCOUNTS.items() if cc == ccy) for ccy in EXPONENT}

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# -- the client: the shell's SQL on one synchronous connection ---------------------------------


class Client:
    """Runs doublex.db.QUERIES on one connection, one transaction per call, and raises the
    shell's LedgerError for database errors (doublex.errors.from_database)."""

    def __init__(self, dsn: str) -> None:
        self.conn: psycopg.Connection[Row] = psycopg.connect(
            dsn, autocommit=False, row_factory=dict_row
        )

    def close(self) -> None:
        self.conn.close()

    def call(
        self,
        query: str,
        params: Mapping[str, Any],
        isolation: IsolationLevel = IsolationLevel.SERIALIZABLE,
    ) -> Row:
        self.conn.isolation_level = isolation
        try:
            with self.conn.transaction():
                row = self.conn.execute(QUERIES[query], params).fetchone()
        except psycopg.Error as exc:
            raise errors.from_database(exc) from exc
        assert row is not None
        return row

    def create_account(self, code: str, ccy: str, type: str) -> Row:
        return self.call(
            "create_account",
            {
                "code": code,
                "name": code,
                "ccy": ccy,
                "type": type,
                "allow_negative": True,
                "metadata": Jsonb({}),
                "tenant": "default",
            },
        )

    def post(self, request: Request) -> Row:
        return self.call(
            "post_journal",
            {
                "idempotency_key": request.key,
                "legs": Jsonb(list(request.legs)),
                "effective_date": request.effective_date,
                "memo": request.memo,
                "ref": request.ref,
                "metadata": Jsonb(dict(request.metadata or {})),
                "conditions": None,
                "tenant": "default",
            },
        )

    def balance(self, account: str) -> Decimal:
        row = self.call("get_balance", {"account": account, "as_of": None, "tenant": "default"})
        return Decimal(row["balance"])

    def balances(self) -> dict[str, Decimal]:
        return {code: self.balance(code) for code in ACCOUNTS}

    def roll_up(self) -> Row:
        return self.call(
            "roll_up_balances", {"tenant": "default"}, isolation=IsolationLevel.READ_COMMITTED
        )


@pytest.fixture
def client(app_dsn: str) -> Iterator[Client]:
    opened = Client(app_dsn)
    try:
        for code, (ccy, kind) in ACCOUNTS.items():
            opened.create_account(code, ccy, kind)
        yield opened
    finally:
        opened.close()


def table_counts(admin_conn: AdminConn) -> tuple[int, int, int]:
    row = admin_conn.execute("""
        SELECT (SELECT count(*) FROM ledger_private.journal),
               (SELECT count(*) FROM ledger_private.leg),
               (SELECT count(*) FROM ledger_private.idempotency_sentinel)
    """).fetchone()
    assert row is not None
    return (int(row[0]), int(row[1]), int(row[2]))


# -- requests and their strategies ----------------------------------------------------------


@dataclass(frozen=True)
class Request:
    key: str
    legs: tuple[Leg, ...]
    effective_date: date | None = None
    memo: str | None = None
    ref: str | None = None
    metadata: Mapping[str, Any] | None = None


def to_text(minor: int, ccy: str, trim: bool) -> str:
    """Minor units as a decimal string at the currency's scale, or with trailing zeros cut
    (still a valid amount: fewer decimals than the currency allows)."""
    text = str(Decimal(minor).scaleb(-EXPONENT[ccy]))
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def minor_units(amount: str, ccy: str) -> int:
    return int(Decimal(amount).scaleb(EXPONENT[ccy]))


def with_minor(leg: Leg, minor: int, trim: bool = False) -> Leg:
    return dict(leg, amount=to_text(minor, leg["ccy"], trim))


@st.composite
def currency_legs(draw: st.DrawFn, ccy: str, count: int) -> list[Leg]:
    """`count` ≥ 2 legs in `ccy` whose debits equal their credits."""
    debit_count = draw(st.integers(1, count - 1))
    credit_count = count - debit_count
    debits = draw(st.lists(st.integers(1, 10**11), min_size=debit_count, max_size=debit_count))
    total = sum(debits)
    if total < credit_count:
        debits[0] += credit_count
        total = sum(debits)
    cuts = (
        sorted(
            draw(
                st.sets(
                    st.integers(1, total - 1), min_size=credit_count - 1, max_size=credit_count - 1
                )
            )
        )
        if credit_count > 1
        else []
    )
    bounds = [0, *cuts, total]
    credits = [high - low for low, high in itertools.pairwise(bounds)]
    account = st.sampled_from(BY_CCY[ccy])
    trim = st.booleans()
    legs = [
        {
            "account": draw(account),
            "side": "debit",
            "amount": to_text(m, ccy, draw(trim)),
            "ccy": ccy,
        }
        for m in debits
    ] + [
        {
            "account": draw(account),
            "side": "credit",
            "amount": to_text(m, ccy, draw(trim)),
            "ccy": ccy,
        }
        for m in credits
    ]
    return legs


@st.composite
def balanced_legs(draw: st.DrawFn) -> tuple[Leg, ...]:
    """2 to 6 legs in one to three currencies, balanced per currency, in random order."""
    sizes = draw(
        st.sampled_from(
            [(2,), (3,), (4,), (5,), (6,), (2, 2), (2, 3), (3, 2), (2, 4), (3, 3), (2, 2, 2)]
        )
    )
    currencies = draw(st.permutations(sorted(EXPONENT)))[: len(sizes)]
    legs: list[Leg] = []
    for ccy, size in zip(currencies, sizes, strict=True):
        legs += draw(currency_legs(ccy, size))
    return tuple(draw(st.permutations(legs)))


# A fresh key per example: Hypothesis replays and shrinks examples in one database.
keys = st.builds(lambda: f"prop-{uuid.uuid4()}")
# Text without NUL: PostgreSQL text cannot hold it (test_db_runner covers that mapping).
chars = st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="\x00")
memos = st.none() | st.text(chars, max_size=40)
refs = st.none() | st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=20)
metadatas = st.none() | st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=5),
    st.integers(-1000, 1000) | st.text(chars, max_size=10) | st.booleans(),
    max_size=3,
)
# Within the ledger's window around the business date (effective_date_days_back/ahead, 366).
TODAY = date.today()
dates = st.none() | st.dates(TODAY - timedelta(days=360), TODAY + timedelta(days=360))

requests = st.builds(
    Request,
    key=keys,
    legs=balanced_legs(),
    effective_date=dates,
    memo=memos,
    ref=refs,
    metadata=metadatas,
)


def expected_changes(legs: Sequence[Leg]) -> dict[str, Decimal]:
    """Balance change per account on its normal side."""
    changes: dict[str, Decimal] = {}
    for leg in legs:
        normal = NORMAL_SIDE.get(ACCOUNTS[leg["account"]][1], "credit")
        amount = Decimal(leg["amount"])
        changes[leg["account"]] = changes.get(leg["account"], Decimal(0)) + (
            amount if leg["side"] == normal else -amount
        )
    return changes


def assert_moved(
    before: Mapping[str, Decimal], after: Mapping[str, Decimal], legs: Sequence[Leg]
) -> None:
    changes = expected_changes(legs)
    for code in ACCOUNTS:
        assert after[code] - before[code] == changes.get(code, Decimal(0)), code


def maybe_roll_up(client: Client, now: bool) -> None:
    if now:
        rolled = client.roll_up()
        assert rolled["tenant"] == "default"


# -- (a) balanced journals always post -------------------------------------------------------


@SETTINGS
@given(request=requests, roll_before=st.booleans(), roll_after=st.booleans())
def test_balanced_journals_post_and_keep_the_books(
    client: Client, admin_dsn: str, request: Request, roll_before: bool, roll_after: bool
) -> None:
    maybe_roll_up(client, roll_before)
    before = client.balances()
    result = client.post(request)
    assert result["status"] == "posted"
    if request.effective_date is not None:
        assert result["effective_date"] == request.effective_date
    maybe_roll_up(client, roll_after)
    assert_moved(before, client.balances(), request.legs)
    assert_ledger_invariants(admin_dsn)


# -- (b) unbalanced journals are refused and write nothing -------------------------------------


@SETTINGS
@given(request=requests, data=st.data(), roll=st.booleans())
def test_unbalanced_journals_are_refused(
    client: Client, admin_conn: AdminConn, request: Request, data: st.DataObject, roll: bool
) -> None:
    maybe_roll_up(client, roll)
    legs = list(request.legs)
    index = data.draw(st.integers(0, len(legs) - 1), label="perturbed leg")
    minor = minor_units(legs[index]["amount"], legs[index]["ccy"])
    delta = data.draw(st.sampled_from([1, -1] if minor > 1 else [1]), label="delta")
    legs[index] = with_minor(legs[index], minor + delta)
    counts = table_counts(admin_conn)
    before = client.balances()

    with pytest.raises(errors.RuleViolation) as raised:
        client.post(replace(request, legs=tuple(legs)))
    assert (raised.value.code, raised.value.http_status, raised.value.field) == (
        "DX009",
        422,
        "legs",
    )
    assert table_counts(admin_conn) == counts
    assert client.balances() == before
    # The key was not consumed: the balanced request under the same key posts.
    assert client.post(request)["status"] == "posted"


# -- (c) idempotency -------------------------------------------------------------------------


def vary(request: Request, field: str, data: st.DataObject) -> Request:
    """The same request with exactly one field changed (still a valid request)."""
    legs = [dict(leg) for leg in request.legs]
    if field == "amount":
        # One debit and one credit of one currency each grow by a minor unit: still balanced.
        ccy = data.draw(st.sampled_from(sorted({leg["ccy"] for leg in legs})), label="ccy")
        for side in ("debit", "credit"):
            i = next(i for i, leg in enumerate(legs) if leg["ccy"] == ccy and leg["side"] == side)
            legs[i] = with_minor(legs[i], minor_units(legs[i]["amount"], ccy) + 1)
        return replace(request, legs=tuple(legs))
    if field == "amount_text":
        # The same value in other words ("12.50" → "012.50"): the fingerprint keeps each
        # amount's exact text, so this is a different request (normalize_legs.sql).
        i = data.draw(st.integers(0, len(legs) - 1), label="leg")
        legs[i]["amount"] = "0" + legs[i]["amount"]
        return replace(request, legs=tuple(legs))
    if field == "account":
        i = data.draw(st.integers(0, len(legs) - 1), label="leg")
        others = [c for c in BY_CCY[legs[i]["ccy"]] if c != legs[i]["account"]]
        legs[i]["account"] = data.draw(st.sampled_from(others), label="account")
        return replace(request, legs=tuple(legs))
    if field == "side":
        # Every leg flips: the mirror-image journal, balanced too.
        flip = {"debit": "credit", "credit": "debit"}
        return replace(request, legs=tuple(dict(leg, side=flip[leg["side"]]) for leg in legs))
    if field == "memo":
        return replace(request, memo=(request.memo or "") + "!")
    if field == "ref":
        return replace(request, ref=(request.ref or "") + "X")
    if field == "metadata":
        return replace(request, metadata={**(request.metadata or {}), "changed": True})
    if field == "effective_date":
        base = request.effective_date or TODAY + timedelta(days=30)
        return replace(request, effective_date=base + timedelta(days=1))
    raise AssertionError(field)


FIELDS = ["amount", "amount_text", "account", "side", "memo", "ref", "metadata", "effective_date"]


@SETTINGS
@given(
    request=requests,
    times=st.integers(1, 5),
    field=st.sampled_from(FIELDS),
    data=st.data(),
    roll=st.booleans(),
)
def test_replays_are_duplicates_and_variants_conflict(
    client: Client,
    admin_conn: AdminConn,
    admin_dsn: str,
    request: Request,
    times: int,
    field: str,
    data: st.DataObject,
    roll: bool,
) -> None:
    before = client.balances()
    answers = []
    roll_at = data.draw(st.integers(0, times), label="roll-up after answer") if roll else -1
    for i in range(times):
        answers.append(client.post(request))
        if i == roll_at:
            client.roll_up()
    assert [a["status"] for a in answers] == ["posted"] + ["duplicate"] * (times - 1)
    assert len({(a["journal_id"], a["effective_date"], a["created_at"]) for a in answers}) == 1
    assert_moved(before, client.balances(), request.legs)

    variant = vary(request, field, data)
    assert variant != request
    counts = table_counts(admin_conn)
    settled = client.balances()
    with pytest.raises(errors.RuleViolation) as raised:
        client.post(variant)
    assert (raised.value.code, raised.value.http_status, raised.value.field) == (
        "DX011",
        409,
        "idempotency_key",
    )
    assert table_counts(admin_conn) == counts
    assert client.balances() == settled
    # The original is still answered as a duplicate of the first posting.
    again = client.post(request)
    assert (again["status"], again["journal_id"]) == ("duplicate", answers[0]["journal_id"])
    assert_ledger_invariants(admin_dsn)


# -- (d) too many decimals -------------------------------------------------------------------


@SETTINGS
@given(request=requests, data=st.data(), roll=st.booleans())
def test_excess_precision_is_refused_never_rounded(
    client: Client, admin_conn: AdminConn, request: Request, data: st.DataObject, roll: bool
) -> None:
    maybe_roll_up(client, roll)
    legs = list(request.legs)
    index = data.draw(st.integers(0, len(legs) - 1), label="leg")
    leg = legs[index]
    ccy = leg["ccy"]
    extra = data.draw(st.integers(1, 3), label="extra decimals")
    minor = minor_units(leg["amount"], ccy)
    scale = 10**extra
    if data.draw(st.booleans(), label="pad with zeros"):
        # Same value, more decimals: "12.50" → "12.5000". Still refused: never rounded.
        text = to_text(minor, ccy, trim=False)
        text = (text if "." in text else text + ".") + "0" * extra
        legs[index] = dict(leg, amount=text)
    else:
        # Split the leg in two at a finer unit: the journal stays exactly balanced.
        fine = minor * scale
        cut = data.draw(st.integers(1, fine - 1).filter(lambda n: n % scale != 0), label="cut")
        pieces = [cut, fine - cut]
        legs[index : index + 1] = [
            dict(leg, amount=str(Decimal(p).scaleb(-(EXPONENT[ccy] + extra)))) for p in pieces
        ]
    assert (
        sum(
            Decimal(x["amount"]) * (1 if x["side"] == "debit" else -1)
            for x in legs
            if x["ccy"] == ccy
        )
        == 0
    )
    counts = table_counts(admin_conn)
    before = client.balances()

    with pytest.raises(errors.RuleViolation) as raised:
        client.post(replace(request, legs=tuple(legs)))
    assert (raised.value.code, raised.value.http_status, raised.value.field) == (
        "DX004",
        422,
        f"legs[{index}].amount",
    )
    assert table_counts(admin_conn) == counts
    assert client.balances() == before
