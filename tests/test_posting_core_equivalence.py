"""One posting core: a batch and the same requests posted one by one give the same books.

Hypothesis draws lists of posting requests (valid ones, and ones invalid in each way the
core checks: fields, legs array, leg shape, unknown account, currency, decimals, balance,
overdrafts of accounts with allow_negative = false, keys replayed with the same and with a
different request, keys repeated inside the list, several currencies). Each list is posted
through one `ledger.post_journals` call on one database and through sequential
`ledger.post_journal` calls (one transaction each) on another. Both must give the same
status, error code and field per request, the same journals (keys, kinds, dates, memos,
refs, metadata, reversals), the same legs, idempotency fingerprints and balances. Every
example runs in a tenant of its own, so examples do not see each other's keys or accounts.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from support.cluster import TestCluster
from support.dates import iso
from support.tenants import tenant_key, use_key

Row = dict[str, Any]
Conn = psycopg.Connection[Row]

# code → (currency, type, allow_negative)
ACCOUNTS: dict[str, tuple[str, str, bool]] = {
    "EUR-CASH": ("EUR", "asset", True),
    "EUR-SAVE": ("EUR", "asset", False),
    "EUR-WALLET": ("EUR", "liability", False),
    "EUR-REV": ("EUR", "income", True),
    "USD-CASH": ("USD", "asset", True),
    "USD-WALLET": ("USD", "liability", False),
    "JPY-CASH": ("JPY", "asset", True),
    "JPY-LIAB": ("JPY", "liability", True),
}
BY_CCY = {c: [a for a, (cc, _, _) in ACCOUNTS.items() if cc == c] for c in ("EUR", "USD", "JPY")}
AMOUNTS = {"EUR": ["1.00", "2.50", "0.10", "7"], "USD": ["1.00", "3.25"], "JPY": ["100", "5"]}
KEYS = [f"k{i}" for i in range(6)]
# Each way a request can break a rule of the core: a change to its first leg, or to the
# request itself. "unbalanced", "one_leg" and "legs_not_array" are handled in mutate().
FIRST_LEG_CHANGES: dict[str, dict[str, str]] = {
    "bad_side": {"side": "sideways"},
    "extra_field": {"note": "x"},
    "zero_amount": {"amount": "0.00"},
    "bad_amount": {"amount": "-1"},
    "too_many_decimals": {"amount": "1.005"},
    "bad_ccy": {"ccy": "eur"},
    "unknown_ccy": {"ccy": "XQQ"},
    "unknown_account": {"account": "NOPE"},
}
REQUEST_CHANGES: dict[str, dict[str, Any]] = {
    "empty_key": {"idempotency_key": ""},
    "long_key": {"idempotency_key": "k" * 256},
    "control_key": {"idempotency_key": "k\n"},
    "long_memo": {"memo": "m" * 1001},
    "long_ref": {"ref": "r" * 201},
    "metadata_not_object": {"metadata": ["not", "an", "object"]},
    "big_metadata": {"metadata": {"blob": "x" * 16400}},
}
# None (a valid request) three times as often as each way to break one.
MUTATIONS: list[str | None] = [
    None,
    None,
    None,
    "unbalanced",
    "one_leg",
    "legs_not_array",
    "ccy_mismatch",
    *FIRST_LEG_CHANGES,
    *REQUEST_CHANGES,
]

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def balanced_legs(draw: st.DrawFn) -> list[dict[str, str]]:
    legs: list[dict[str, str]] = []
    for ccy in draw(st.lists(st.sampled_from(list(BY_CCY)), min_size=1, max_size=2, unique=True)):
        debit, credit = draw(st.permutations(BY_CCY[ccy]))[:2]
        amount = draw(st.sampled_from(AMOUNTS[ccy]))
        legs.append({"account": debit, "side": "debit", "amount": amount, "ccy": ccy})
        legs.append({"account": credit, "side": "credit", "amount": amount, "ccy": ccy})
    return legs


def mutate(request: dict[str, Any], mutation: str | None) -> dict[str, Any]:
    legs: list[dict[str, Any]] = [dict(leg) for leg in request["legs"]]
    first = legs[0]
    if mutation in FIRST_LEG_CHANGES:
        first.update(FIRST_LEG_CHANGES[mutation])
    elif mutation in REQUEST_CHANGES:
        request.update(REQUEST_CHANGES[mutation])
    elif mutation == "unbalanced":
        first["amount"] = "9.00" if first["ccy"] != "JPY" else "9"
    elif mutation == "ccy_mismatch":
        first["ccy"] = "USD" if first["ccy"] != "USD" else "EUR"
    elif mutation == "one_leg":
        legs = legs[:1]
    elif mutation == "legs_not_array":
        return {**request, "legs": {"account": first["account"]}}
    return {**request, "legs": legs}


@st.composite
def posting_request(draw: st.DrawFn) -> dict[str, Any]:
    request: dict[str, Any] = {
        "idempotency_key": draw(st.sampled_from(KEYS)),
        "legs": draw(balanced_legs()),
    }
    if draw(st.booleans()):
        request["memo"] = draw(st.sampled_from(["rent", "fee", "refund"]))
    if draw(st.booleans()):
        request["ref"] = draw(st.sampled_from(["R-1", "R-2"]))
    if draw(st.booleans()):
        request["metadata"] = draw(st.sampled_from([{}, {"a": 1}, {"b": [1, 2]}]))
    if draw(st.booleans()):
        request["effective_date"] = draw(
            st.sampled_from([None, iso("2026-01-15"), iso("2026-02-01")])
        )
    return mutate(request, draw(st.sampled_from(MUTATIONS)))


request_lists = st.lists(posting_request(), min_size=1, max_size=12)
TENANTS = itertools.count()


# -- the two databases ---------------------------------------------------------------------


@pytest.fixture
def two_databases(pg_cluster: TestCluster) -> Iterator[tuple[TestCluster, str, str]]:
    batch, single = pg_cluster.create_database(), pg_cluster.create_database()
    try:
        yield pg_cluster, batch, single
    finally:
        pg_cluster.drop_database(batch)
        pg_cluster.drop_database(single)


def connect(dsn: str) -> Conn:
    return psycopg.connect(dsn, autocommit=True, row_factory=dict_row)


def create_accounts(conn: Conn, tenant: str) -> None:
    with conn.transaction():
        for code, (ccy, kind, allow_negative) in ACCOUNTS.items():
            conn.execute(
                "SELECT ledger.create_account(%s, %s, %s, %s, %s, tenant => %s)",
                (code, code, ccy, kind, allow_negative, tenant),
            )


def outcome(row: Row, journal_keys: dict[Any, str]) -> tuple[Any, ...]:
    """What a request's result says, with the journal named by its key (ids differ)."""
    return (
        row["status"],
        row["error_code"],
        row["error_field"],
        journal_keys.get(row["journal_id"]) if row["journal_id"] is not None else None,
        row["effective_date"],
    )


def post_batch(conn: Conn, tenant: str, requests: list[dict[str, Any]]) -> list[Row]:
    with conn.transaction():
        return conn.execute(
            "SELECT * FROM ledger.post_journals(%s, %s) ORDER BY position",
            (Jsonb(requests), tenant),
        ).fetchall()


def post_one_by_one(conn: Conn, tenant: str, requests: list[dict[str, Any]]) -> list[Row]:
    results: list[Row] = []
    for position, request in enumerate(requests):
        row: Row = {
            "position": position,
            "idempotency_key": request.get("idempotency_key"),
            "journal_id": None,
            "status": "rejected",
            "effective_date": None,
            "error_code": None,
            "error_field": None,
        }
        try:
            with conn.transaction():
                posted = conn.execute(
                    "SELECT * FROM ledger.post_journal(%s, %s, %s::date, %s, %s, %s, tenant => %s)",
                    (
                        request.get("idempotency_key"),
                        Jsonb(request.get("legs")),
                        request.get("effective_date"),
                        request.get("memo"),
                        request.get("ref"),
                        Jsonb(request.get("metadata", {})),
                        tenant,
                    ),
                ).fetchone()
            assert posted is not None
            row.update(
                journal_id=posted["journal_id"],
                status=posted["status"],
                effective_date=posted["effective_date"],
            )
        except psycopg.Error as exc:
            assert exc.sqlstate is not None and exc.sqlstate.startswith("DX"), exc
            row.update(error_code=exc.sqlstate, error_field=exc.diag.column_name)
        results.append(row)
    return results


def books(conn: Conn, tenant: str) -> dict[str, Any]:
    """Everything the postings wrote in the tenant, without ids and timestamps."""
    return {
        "journals": conn.execute(
            "SELECT idempotency_key, kind, effective_date, memo, ref, metadata, reverses"
            "  FROM ledger_private.journal WHERE tenant = %s ORDER BY idempotency_key",
            (tenant,),
        ).fetchall(),
        "legs": conn.execute(
            "SELECT j.idempotency_key, l.leg_no, a.code, l.side, l.amount, l.ccy"
            "  FROM ledger_private.leg AS l"
            "  JOIN ledger_private.journal AS j USING (journal_id)"
            "  JOIN ledger_private.account AS a USING (account_id)"
            " WHERE j.tenant = %s ORDER BY j.idempotency_key, l.leg_no",
            (tenant,),
        ).fetchall(),
        "sentinels": conn.execute(
            "SELECT idempotency_key, operation, fingerprint"
            "  FROM ledger_private.idempotency_sentinel WHERE tenant = %s ORDER BY idempotency_key",
            (tenant,),
        ).fetchall(),
        "balances": conn.execute(
            "SELECT a.code, b.debits, b.credits, b.balance"
            "  FROM ledger_private.account AS a,"
            "       ledger.get_balance(a.code, NULL, a.tenant) AS b"
            " WHERE a.tenant = %s ORDER BY a.code",
            (tenant,),
        ).fetchall(),
    }


def journal_keys(conn: Conn, tenant: str) -> dict[Any, str]:
    rows = conn.execute(
        "SELECT journal_id, idempotency_key FROM ledger_private.journal WHERE tenant = %s",
        (tenant,),
    ).fetchall()
    return {r["journal_id"]: r["idempotency_key"] for r in rows}


def post_both_ways(
    two_databases: tuple[TestCluster, str, str], tenant: str, requests: list[dict[str, Any]]
) -> list[Row]:
    """Post the list as one batch and one by one, assert the same outcome and books, and
    return the batch's results."""
    cluster, batch_db, single_db = two_databases
    with (
        connect(cluster.app_dsn(batch_db)) as batch_app,
        connect(cluster.app_dsn(single_db)) as single_app,
        connect(cluster.admin_dsn(batch_db)) as batch_admin,
        connect(cluster.admin_dsn(single_db)) as single_admin,
    ):
        # doublex_app acts in the example's tenant through a key of it (#14).
        use_key(batch_app, tenant_key(cluster.admin_dsn(batch_db), tenant))
        use_key(single_app, tenant_key(cluster.admin_dsn(single_db), tenant))
        create_accounts(batch_app, tenant)
        create_accounts(single_app, tenant)
        batch_results = post_batch(batch_app, tenant, requests)
        single_results = post_one_by_one(single_app, tenant, requests)

        batch_ids = journal_keys(batch_admin, tenant)
        single_ids = journal_keys(single_admin, tenant)
        assert [outcome(r, batch_ids) for r in batch_results] == [
            outcome(r, single_ids) for r in single_results
        ]
        assert books(batch_admin, tenant) == books(single_admin, tenant)
    return batch_results


@SETTINGS
@given(requests=request_lists)
def test_batch_and_one_by_one_postings_write_the_same_books(
    two_databases: tuple[TestCluster, str, str], requests: list[dict[str, Any]]
) -> None:
    post_both_ways(two_databases, f"eq{next(TENANTS)}", requests)


def test_the_lists_reach_both_batch_paths_and_every_outcome(
    two_databases: tuple[TestCluster, str, str],
) -> None:
    """The comparison above is only as good as what it posts: a clean list (the set-based
    fast path) and a list with a rejection, a replay, a conflict and an overdraft (the careful
    path) each post through both paths with the same outcome."""
    legs = [
        [
            {"account": "EUR-CASH", "side": "debit", "amount": "5.00", "ccy": "EUR"},
            {"account": "EUR-WALLET", "side": "credit", "amount": "5.00", "ccy": "EUR"},
        ],
        [
            {"account": "EUR-WALLET", "side": "debit", "amount": "5.00", "ccy": "EUR"},
            {"account": "EUR-CASH", "side": "credit", "amount": "5.00", "ccy": "EUR"},
        ],
    ]
    clean: list[dict[str, Any]] = [
        {"idempotency_key": f"c{i}", "legs": pair} for i, pair in enumerate(legs)
    ]
    mixed = [
        *clean,
        clean[0],  # replay: duplicate
        {**clean[0], "memo": "changed"},  # conflict: DX011
        {"idempotency_key": "c9", "legs": legs[1]},  # overdraft: DX010
    ]
    seen = [
        [(r["status"], r["error_code"]) for r in post_both_ways(two_databases, f"reach{n}", rs)]
        for n, rs in enumerate([clean, mixed])
    ]
    assert seen[0] == [("posted", None), ("posted", None)]
    assert seen[1] == [
        ("posted", None),
        ("posted", None),
        ("duplicate", None),
        ("rejected", "DX011"),
        ("rejected", "DX010"),
    ]
