"""FX settlements under many real connections: 32 workers converting EUR→USD and USD→EUR
between the same two accounts (so the same two clearing accounts, opened by whichever
settlement comes first), one idempotency key raced by many callers, and non-negative
accounts drained from both sides. Every answer is classified (test_concurrency.Tally); no
deadlock, serialization or other error may surface; the books are checked from the tables.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg

from doublex.db import Ledger
from support.invariants import assert_ledger_invariants
from test_concurrency import RETRY, Tally, count, key, random_amount, run_workers, with_roll_ups

AdminConn = psycopg.Connection[tuple[Any, ...]]
RATE_DAY = date(2020, 1, 1)


def clearing_matches_settlements(admin_conn: AdminConn) -> None:
    """Each clearing account's balance (credit-normal) = what the settlements put into it."""
    rows = admin_conn.execute("""
        WITH moved AS (
            SELECT s.source_ccy AS ccy,
                   CASE f.normal_side WHEN 'debit' THEN -s.source_amount
                                      ELSE s.source_amount END AS amount
              FROM ledger_private.fx_settlement AS s
              JOIN ledger_private.account AS f ON f.account_id = s.from_account_id
            UNION ALL
            SELECT s.destination_ccy,
                   CASE t.normal_side WHEN 'debit' THEN s.destination_amount
                                      ELSE -s.destination_amount END
              FROM ledger_private.fx_settlement AS s
              JOIN ledger_private.account AS t ON t.account_id = s.to_account_id)
        SELECT m.ccy, sum(m.amount),
               (SELECT sum(CASE l.side WHEN 'credit' THEN l.amount ELSE -l.amount END)
                  FROM ledger_private.leg AS l JOIN ledger_private.account AS a USING (account_id)
                 WHERE a.code = 'FX-CLEARING-' || m.ccy)
          FROM moved AS m GROUP BY m.ccy ORDER BY m.ccy
    """).fetchall()
    assert rows, "no settlement"
    for ccy, settled, clearing in rows:
        assert settled == clearing, f"{ccy}: settlements {settled}, clearing {clearing}"


def settlements_are_whole(admin_conn: AdminConn) -> None:
    """Every settlement has both journals (kind fx), and there is no other fx journal."""
    row = admin_conn.execute("""
        SELECT (SELECT count(*) FROM ledger_private.fx_settlement),
               (SELECT count(*) FROM ledger_private.journal WHERE kind = 'fx'),
               (SELECT count(*) FROM ledger_private.fx_settlement AS s
                 WHERE (SELECT count(*) FROM ledger_private.journal AS j
                         WHERE j.journal_id IN (s.source_journal_id, s.destination_journal_id)
                           AND j.kind = 'fx') <> 2)
    """).fetchone()
    assert row is not None
    settlements, journals, broken = row
    assert journals == 2 * settlements and broken == 0, row


async def test_32_connections_convert_both_ways_between_the_same_accounts(
    app_dsn: str, admin_dsn: str, admin_conn: AdminConn
) -> None:
    tally = Tally()
    async with Ledger(
        app_dsn, min_size=34, max_size=34, retry=RETRY, on_retry=tally.on_retry
    ) as ledger:
        await ledger.create_account("EUR-WALLET", "EUR wallet", "EUR", type="liability")
        await ledger.create_account("USD-WALLET", "USD wallet", "USD", type="liability")
        await ledger.upsert_fx_rate("EUR", "USD", Decimal("1.0852"), RATE_DAY)
        assert count(admin_conn, "account") == 2  # the clearing accounts open under load

        async def convert(worker: int, rng: random.Random) -> None:
            pair = ["EUR-WALLET", "USD-WALLET"]
            if worker % 2:
                pair.reverse()
            fixed_side = rng.choice(["source", "destination"])
            amount = random_amount(rng, "0.01", "500.00")
            request = ledger.post_fx_transfer(key(), pair[0], pair[1], amount, fixed_side)
            await tally.answer(request, frozenset())

        steps = await with_roll_ups(ledger, run_workers(32, 4.0, convert))

    print(f"\nfx both ways x32: {steps} settlements: {tally.summary()}")
    assert tally.unexpected == []
    assert tally.statuses == {"posted": steps}
    assert steps >= 100, "too few settlements to mean anything"
    assert "40P01" not in tally.retries, "settlements deadlocked"
    assert count(admin_conn, "fx_settlement") == steps
    assert count(admin_conn, "account") == 4  # both clearing accounts, opened once
    settlements_are_whole(admin_conn)
    clearing_matches_settlements(admin_conn)
    assert_ledger_invariants(admin_dsn)


async def test_one_key_many_callers_settle_once(
    app_dsn: str, admin_dsn: str, admin_conn: AdminConn
) -> None:
    tally = Tally()
    async with Ledger(
        app_dsn, min_size=32, max_size=32, retry=RETRY, on_retry=tally.on_retry
    ) as ledger:
        await ledger.create_account("EUR-A", "EUR", "EUR")
        await ledger.create_account("JPY-A", "JPY", "JPY")
        await ledger.upsert_fx_rate("EUR", "JPY", Decimal("161.25"), RATE_DAY)
        start = asyncio.Event()

        async def caller(amount: str) -> dict[str, Any]:
            await start.wait()
            return await ledger.post_fx_transfer("one-key", "EUR-A", "JPY-A", Decimal(amount))

        # 30 identical requests and 2 that differ (another amount): one settlement.
        amounts = ["10.00"] * 30 + ["10.01"] * 2
        random.shuffle(amounts)
        tasks = [asyncio.create_task(caller(a)) for a in amounts]
        await asyncio.sleep(0.05)
        start.set()
        answers = await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 60)

    outcomes = Counter(
        getattr(a, "code", type(a).__name__) if isinstance(a, BaseException) else a["status"]
        for a in answers
    )
    print(f"\nfx one key x32: {dict(outcomes)}, retries {dict(tally.retries)}")
    results = [a for a in answers if not isinstance(a, BaseException)]
    assert len({r["settlement_id"] for r in results}) == 1
    winner = results[0]["source_amount"]
    losers = 30 if winner == Decimal("10.01") else 2
    assert outcomes == {"posted": 1, "duplicate": 31 - losers, "DX011": losers}
    assert count(admin_conn, "fx_settlement") == 1
    settlements_are_whole(admin_conn)
    assert_ledger_invariants(admin_dsn)


async def test_non_negative_accounts_drained_from_both_sides_stay_exact(
    app_dsn: str, admin_dsn: str, admin_conn: AdminConn
) -> None:
    tally = Tally()
    async with Ledger(
        app_dsn, min_size=10, max_size=10, retry=RETRY, on_retry=tally.on_retry
    ) as ledger:
        await ledger.create_account("FUND-EUR", "funding", "EUR", type="equity")
        await ledger.create_account("FUND-USD", "funding", "USD", type="equity")
        for code, ccy in (("EUR-SAVE", "EUR"), ("USD-SAVE", "USD")):
            await ledger.create_account(code, code, ccy, type="liability", allow_negative=False)
            await ledger.post_journal(
                key(),
                [
                    {"account": f"FUND-{ccy}", "side": "debit", "amount": "300.00", "ccy": ccy},
                    {"account": code, "side": "credit", "amount": "300.00", "ccy": ccy},
                ],
            )
        await ledger.upsert_fx_rate("EUR", "USD", Decimal("1.1"), RATE_DAY)

        async def convert(worker: int, rng: random.Random) -> None:
            pair = ["EUR-SAVE", "USD-SAVE"] if worker % 2 else ["USD-SAVE", "EUR-SAVE"]
            amount = random_amount(rng, "5.00", "80.00")
            request = ledger.post_fx_transfer(key(), pair[0], pair[1], amount)
            await tally.answer(request, frozenset({"DX010"}))

        steps = await run_workers(8, 3.0, convert)
        final = [(await ledger.get_balance(code))["balance"] for code in ("EUR-SAVE", "USD-SAVE")]

    print(f"\nfx non-negative x8: {steps} requests: {tally.summary()}")
    assert tally.unexpected == []
    assert tally.statuses["posted"] + tally.codes["DX010"] == steps
    assert tally.codes["DX010"] > 0, "no settlement ever hit the balance limit"
    assert all(balance >= 0 for balance in final), final
    assert count(admin_conn, "fx_settlement") == tally.statuses["posted"]
    settlements_are_whole(admin_conn)
    clearing_matches_settlements(admin_conn)
    assert_ledger_invariants(admin_dsn)
