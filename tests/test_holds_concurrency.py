"""Holds under real concurrency: limits stay exact and a hold resolves once.

32 connections of the application login (doublex_app) race holds, captures, voids and
direct postings against one wallet with min_balance 0 (allow_negative = false) and a known
balance; then the books are read from the tables. And capture and void of one hold race on
two connections: exactly one wins, the other gets the loser's DX code. Every write runs at
SERIALIZABLE and is retried on 40001/40P01, as the shell does.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from decimal import Decimal
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from support.invariants import assert_ledger_invariants

AConn = psycopg.AsyncConnection[tuple[Any, ...]]
RETRYABLE = frozenset({"40001", "40P01"})
FUNDING = Decimal("500.00")
CONNECTIONS = 32


def pair(debit: str, credit: str, amount: Decimal) -> Jsonb:
    return Jsonb(
        [
            {"account": debit, "side": "debit", "amount": str(amount), "ccy": "EUR"},
            {"account": credit, "side": "credit", "amount": str(amount), "ccy": "EUR"},
        ]
    )


async def call_row(
    conn: AConn, sql: str, params: tuple[Any, ...], retries: Counter[str]
) -> tuple[str, tuple[Any, ...] | None]:
    """Run one SERIALIZABLE call to its end: ('ok', its first row), or (the DX code it was
    refused with, None)."""
    for _ in range(200):
        try:
            async with conn.transaction():
                cur = await conn.execute(sql, params)
                row = await cur.fetchone()
            return "ok", row
        except psycopg.Error as exc:
            state = exc.sqlstate or ""
            if state in RETRYABLE:
                retries[state] += 1
                await asyncio.sleep(random.uniform(0, 0.005))
                continue
            if state.startswith("DX"):
                return state, None
            raise
    raise AssertionError("retry budget exhausted")


async def call(conn: AConn, sql: str, params: tuple[Any, ...], retries: Counter[str]) -> str:
    return (await call_row(conn, sql, params, retries))[0]


async def connect(app_dsn: str) -> AConn:
    conn = await psycopg.AsyncConnection.connect(app_dsn)
    await conn.set_isolation_level(psycopg.IsolationLevel.SERIALIZABLE)
    return conn


def setup_books(admin_conn: psycopg.Connection[tuple[Any, ...]]) -> None:
    admin_conn.execute("SET default_transaction_isolation = 'serializable'")
    for code, kind, allow_negative in (
        ("CASH", "asset", True),
        ("WALLET", "liability", False),
        ("MERCHANT", "liability", True),
    ):
        admin_conn.execute(
            "SELECT ledger.create_account(%s, %s, 'EUR', %s, %s)",
            (code, code, kind, allow_negative),
        )
    admin_conn.execute("SELECT ledger.post_journal('fund', %s)", (pair("CASH", "WALLET", FUNDING),))


async def test_32_connections_never_spend_more_than_the_wallet_holds(
    app_dsn: str, admin_dsn: str, admin_conn: psycopg.Connection[tuple[Any, ...]]
) -> None:
    setup_books(admin_conn)
    answers: Counter[str] = Counter()
    retries: Counter[str] = Counter()

    async def worker(n: int) -> None:
        rng = random.Random(n)
        conn = await connect(app_dsn)
        try:
            for i in range(8):
                amount = Decimal(rng.randint(100, 4000)) / 100
                key = f"w{n}-{i}"
                if rng.random() < 0.2:  # a plain posting out of the wallet
                    answers[
                        "post "
                        + await call(
                            conn,
                            "SELECT ledger.post_journal(%s, %s)",
                            (key, pair("WALLET", "MERCHANT", amount)),
                            retries,
                        )
                    ] += 1
                    continue
                outcome, row = await call_row(
                    conn,
                    "SELECT hold_id FROM ledger.create_hold(%s, %s)",
                    (key, pair("WALLET", "MERCHANT", amount)),
                    retries,
                )
                answers["hold " + outcome] += 1
                if row is None:
                    continue
                choice = rng.random()
                if choice < 0.4:
                    half = (amount / 2).quantize(Decimal("0.01"))
                    answers[
                        "capture "
                        + await call(
                            conn,
                            "SELECT ledger.capture_hold(%s, %s, %s)",
                            (row[0], f"c-{key}", Jsonb([str(half), str(half)])),
                            retries,
                        )
                    ] += 1
                elif choice < 0.7:
                    answers[
                        "void "
                        + await call(
                            conn, "SELECT ledger.void_hold(%s, %s)", (row[0], f"v-{key}"), retries
                        )
                    ] += 1
        finally:
            await conn.close()

    await asyncio.gather(*(worker(n) for n in range(CONNECTIONS)))

    row = admin_conn.execute(
        """SELECT p.posted, p.pending_debits, p.available,
                  (SELECT coalesce(sum(l.amount), 0) FROM ledger_private.leg AS l
                    JOIN ledger_private.account AS a USING (account_id)
                   WHERE a.code = 'WALLET' AND l.side = 'debit') AS posted_outflows
             FROM ledger.get_available_balance('WALLET') AS p"""
    ).fetchone()
    assert row is not None
    posted, pending, available, outflows = row
    # The sum of pending and posted outflows never exceeds the funding.
    assert outflows + pending <= FUNDING, (answers, retries)
    assert available >= 0 and posted - pending == available
    assert answers["hold ok"] > 0 and answers["hold DX010"] > 0, answers  # the limit was reached
    assert set(answers) <= {
        "post ok",
        "post DX010",
        "hold ok",
        "hold DX010",
        "capture ok",
        "void ok",
    }, answers
    assert_ledger_invariants(admin_dsn)


async def test_capture_and_void_of_one_hold_race_and_exactly_one_wins(
    app_dsn: str, admin_conn: psycopg.Connection[tuple[Any, ...]]
) -> None:
    setup_books(admin_conn)
    holds = []
    for i in range(40):
        created = admin_conn.execute(
            "SELECT hold_id FROM ledger.create_hold(%s, %s)",
            (f"race-{i}", pair("WALLET", "MERCHANT", Decimal("1.00"))),
        ).fetchone()
        assert created is not None
        holds.append(created[0])
    capture_conn, void_conn = await connect(app_dsn), await connect(app_dsn)
    retries: Counter[str] = Counter()
    outcomes: Counter[tuple[str, str]] = Counter()
    try:
        for hold_id in holds:
            captured, voided = await asyncio.gather(
                call(
                    capture_conn,
                    "SELECT ledger.capture_hold(%s, %s)",
                    (hold_id, f"c-{hold_id}"),
                    retries,
                ),
                call(
                    void_conn, "SELECT ledger.void_hold(%s, %s)", (hold_id, f"v-{hold_id}"), retries
                ),
            )
            outcomes[(captured, voided)] += 1
            # The capture won (the void is told the hold was captured, DX050) or the void
            # did (the capture is told the hold was voided, DX051); never both, never neither.
            assert (captured, voided) in {("ok", "DX050"), ("DX051", "ok")}, (captured, voided)
    finally:
        await capture_conn.close()
        await void_conn.close()
    counts = dict(
        admin_conn.execute(
            "SELECT outcome, count(*) FROM ledger_private.hold_resolution GROUP BY outcome"
        ).fetchall()
    )
    journals = admin_conn.execute(
        "SELECT count(*) FROM ledger_private.journal WHERE idempotency_key LIKE 'hold:%'"
    ).fetchone()
    assert counts.get("captured", 0) + counts.get("voided", 0) == len(holds), counts
    assert journals is not None and journals[0] == counts.get("captured", 0)
    assert sum(outcomes.values()) == len(holds), outcomes
