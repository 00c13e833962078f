"""End of day through doublex.db on a real database: closes racing many posting connections,
the fence and the stale-snapshot retry shown step by step, and the shell's end-of-day calls.

The race: posting workers keep posting on the date being closed, on the next date and
without a date while eod_close runs beside them (at READ COMMITTED, as `doublex eod close`
runs it) over a few thousand accounts with activity. Afterwards every snapshot must equal
the sum of the legs up to its date, every seal must verify, and nothing may sit on the
closed date that the close did not see: a posting either landed before the close (it is in
the snapshot) or was refused (DX025).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from datetime import time as time_of_day
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from doublex import errors
from doublex.db import Ledger, RetryPolicy
from support.http import sample
from support.invariants import assert_ledger_invariants
from support.tenants import tenant_key, use_key

AdminConn = psycopg.Connection[tuple[Any, ...]]
Row = dict[str, Any]
SEEDED = 20_000  # accounts that moved on the closed date before the race: a close of ~0.5 s

# Bulk activity on the closed date, so that the close takes long enough to be raced.
SEED_SQL = """
WITH src AS MATERIALIZED (
    SELECT g.i,
           (lpad(to_hex(%(base_ms)s + g.i), 12, '0') || '7' || lpad(to_hex(g.i %% 4096), 3, '0')
            || '8' || lpad(to_hex(g.i), 15, '0'))::uuid AS journal_id,
           'seed-' || g.i AS idempotency_key,
           a.account_id AS debit_id, h.account_id AS credit_id,
           round((1 + floor(random() * 10000))::numeric / 100, 2) AS amount
      FROM generate_series(1, %(n)s) AS g (i)
      JOIN ledger_private.account AS a ON a.tenant = 'default' AND a.code = 'S' || g.i
      JOIN ledger_private.account AS h ON h.tenant = 'default' AND h.code = 'HOUSE'
), journals AS (
    INSERT INTO ledger_private.journal
           (journal_id, tenant, idempotency_key, effective_date, created_by)
    SELECT s.journal_id, 'default', s.idempotency_key, %(day)s, 'test:direct' FROM src AS s
)
INSERT INTO ledger_private.leg
       (journal_id, leg_no, tenant, account_id, side, amount, ccy, effective_date)
SELECT s.journal_id, v.leg_no, 'default', v.account_id, v.side, s.amount, 'EUR', %(day)s
  FROM src AS s
 CROSS JOIN LATERAL (VALUES (1::smallint, s.debit_id, 'debit'),
                            (2::smallint, s.credit_id, 'credit')) AS v (leg_no, account_id, side)
"""

# Snapshot rows whose cumulative totals differ from the legs up to their date: must be none.
SNAPSHOT_MISMATCHES = """
SELECT a.code, s.business_date, s.total_debits, s.total_credits, t.debits, t.credits
  FROM ledger_private.account_snapshot AS s
  JOIN ledger_private.account AS a USING (account_id)
  CROSS JOIN LATERAL (
        SELECT coalesce(sum(l.amount) FILTER (WHERE l.side = 'debit'), 0) AS debits,
               coalesce(sum(l.amount) FILTER (WHERE l.side = 'credit'), 0) AS credits
          FROM ledger_private.leg AS l
         WHERE l.account_id = s.account_id AND l.effective_date <= s.business_date) AS t
 WHERE (s.total_debits, s.total_credits) <> (t.debits, t.credits)
"""

# Snapshots are dense: accounts opened before a close without a row for its date, moved or
# not, must be none.
MISSING_SNAPSHOTS = """
SELECT a.account_id, c.business_date
  FROM ledger_private.day_close AS c
  JOIN ledger_private.account AS a ON a.tenant = c.tenant AND a.created_at < c.closed_at
 WHERE NOT EXISTS (SELECT FROM ledger_private.account_snapshot AS s
                    WHERE s.account_id = a.account_id AND s.business_date = c.business_date)
"""


def legs(debit: str, credit: str, amount: Decimal) -> list[dict[str, str]]:
    return [
        {"account": debit, "side": "debit", "amount": str(amount), "ccy": "EUR"},
        {"account": credit, "side": "credit", "amount": str(amount), "ccy": "EUR"},
    ]


def assert_closes_match_legs(admin_conn: AdminConn) -> None:
    mismatches = admin_conn.execute(SNAPSHOT_MISMATCHES).fetchall()
    assert mismatches == [], f"snapshots differ from Σ legs: {mismatches[:5]}"
    missing = admin_conn.execute(MISSING_SNAPSHOTS).fetchall()
    assert missing == [], f"accounts without a snapshot on a closed date: {missing[:5]}"
    counted = admin_conn.execute("""
        SELECT c.business_date, c.journals,
               (SELECT count(*) FROM ledger_private.journal AS j
                 WHERE j.tenant = c.tenant AND j.effective_date = c.business_date)
          FROM ledger_private.day_close AS c
         WHERE c.journals <> (SELECT count(*) FROM ledger_private.journal AS j
                               WHERE j.tenant = c.tenant AND j.effective_date = c.business_date)
    """).fetchall()
    assert counted == [], f"journals landed on a closed date after its close: {counted}"
    unbalanced = admin_conn.execute(
        "SELECT * FROM ledger_private.trial_balance WHERE total_debits <> total_credits"
    ).fetchall()
    assert unbalanced == []


async def open_books(ledger: Ledger, customers: int) -> None:
    await ledger.create_account("HOUSE", "House revenue", "EUR", "income")
    await ledger.create_account("CASH", "Cash", "EUR")
    for n in range(1, customers + 1):
        await ledger.create_account(f"C{n}", f"Customer {n}", "EUR")


def seed(admin_conn: AdminConn, accounts: int, day: date) -> None:
    with admin_conn.transaction():
        admin_conn.execute(
            "INSERT INTO ledger_private.account (code, name, ccy, created_by, changed_by)"
            " SELECT 'S' || g, 'Seeded ' || g, 'EUR', 'test:direct', 'test:direct'"
            " FROM generate_series(1, %s) AS g",
            (accounts,),
        )
        admin_conn.execute("SET LOCAL session_replication_role = replica")
        admin_conn.execute(
            SEED_SQL, {"n": accounts, "day": day, "base_ms": int(time.time() * 1000) - 86_400_000}
        )
    admin_conn.execute("ANALYZE")


@pytest.mark.parametrize("first_close", [False, True], ids=["after-a-close", "first-close"])
async def test_postings_racing_a_close_land_before_it_or_are_refused(
    ledger: Ledger, admin_conn: AdminConn, first_close: bool
) -> None:
    today = await ledger.business_date()
    closing = today - timedelta(days=1)
    await open_books(ledger, customers=20)
    if not first_close:
        # An earlier close: the racing dates get fence keys of their own.
        await ledger.post_journal(
            "early", legs("CASH", "HOUSE", Decimal("1.00")), closing - timedelta(days=1)
        )
        await ledger.eod_close(closing - timedelta(days=1))
    seed(admin_conn, SEEDED, closing)
    retries_before = sample("ledger_serialization_retries_total", sqlstate="40001")

    outcomes: Counter[str] = Counter()
    unexpected: list[str] = []
    accepted_closing: list[str] = []
    closed = asyncio.Event()
    stop = asyncio.Event()

    async def worker(n: int) -> None:
        rng = random.Random(n)
        while not stop.is_set():
            key = f"w{n}-{uuid.uuid4()}"
            choice = rng.choice(["closing", "closing", "next", "none", "batch"])
            if choice == "batch":
                await post_batch(n, rng, key)
                continue
            day = {"closing": closing, "next": today, "none": None}[choice]
            body = legs(f"C{rng.randint(1, 20)}", "HOUSE", Decimal(rng.randint(1, 9999)) / 100)
            try:
                result = await ledger.post_journal(key, body, day)
            except errors.RuleViolation as exc:
                outcomes[f"{choice}:{exc.code}"] += 1
                if exc.code != "DX025" or choice != "closing":
                    unexpected.append(f"{choice}: {exc.code} {exc.message}")
                continue
            except errors.LedgerError as exc:
                unexpected.append(f"{choice}: {exc.code} {exc.message}")
                continue
            outcomes[f"{choice}:posted"] += 1
            if result["effective_date"] == closing:
                accepted_closing.append(key)
                if closed.is_set() and choice == "closing":
                    # Accepted after the close committed: only possible if it was in flight
                    # and the close waited for it (then it is in the snapshot, checked below).
                    outcomes["closing:accepted-after-close-returned"] += 1
            elif choice == "none":
                assert result["effective_date"] == today

    async def post_batch(n: int, rng: random.Random, key: str) -> None:
        # Three requests dated on the closing date, one on the next: all or the closing
        # ones refused, per request (the fast path falls back to the careful one).
        days = [closing, closing, closing, today]
        requests = [
            {
                "idempotency_key": f"{key}-{i}",
                "legs": legs(f"C{rng.randint(1, 20)}", "HOUSE", Decimal(rng.randint(1, 999)) / 100),
                "effective_date": day.isoformat(),
            }
            for i, day in enumerate(days)
        ]
        try:
            results = await ledger.post_journals(requests)
        except errors.LedgerError as exc:
            unexpected.append(f"batch: {exc.code} {exc.message}")
            return
        for request, result in zip(requests, results, strict=True):
            outcomes[f"batch:{result['status']}:{result['error_code']}"] += 1
            if result["status"] == "posted" and result["effective_date"] == closing:
                accepted_closing.append(request["idempotency_key"])
            elif result["status"] == "rejected" and (
                result["error_code"] != "DX025" or request["effective_date"] != closing.isoformat()
            ):
                unexpected.append(f"batch: {result}")

    workers = [asyncio.create_task(worker(n)) for n in range(12)]
    await asyncio.sleep(0.5)
    started = time.monotonic()
    result = await ledger.eod_close(closing)
    close_seconds = time.monotonic() - started
    closed.set()
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*workers)

    retries = sample("ledger_serialization_retries_total", sqlstate="40001") - retries_before
    print(f"race: {dict(outcomes)}; close {close_seconds:.2f} s; {retries:.0f} retries")
    assert unexpected == [], unexpected[:5]
    assert outcomes["closing:posted"] > 0, outcomes  # the race was on both sides
    assert outcomes["closing:DX025"] > 0, outcomes
    assert outcomes["next:posted"] > 0 and outcomes["none:posted"] > 0, outcomes
    assert outcomes["batch:posted:None"] > 0, outcomes
    assert result["business_date"] == closing
    assert result["accounts"] >= SEEDED
    # Every accepted posting on the closed date is in the close.
    assert result["journals"] == SEEDED + len(accepted_closing), (result, len(accepted_closing))
    assert_closes_match_legs(admin_conn)
    assert await ledger.verify_seals() == []
    assert_ledger_invariants(admin_conn.info.dsn)
    assert close_seconds < 30


async def test_a_close_waits_for_postings_of_its_date_already_under_way(
    ledger: Ledger, app_dsn: str, admin_conn: AdminConn
) -> None:
    today = await ledger.business_date()
    closing = today - timedelta(days=1)
    await open_books(ledger, customers=2)
    await ledger.eod_close(closing - timedelta(days=1))
    with psycopg.connect(app_dsn, autocommit=False) as posting:
        posting.execute(
            "SELECT * FROM ledger.post_journal(%s, %s::jsonb, %s)",
            ("in-flight", psycopg.types.json.Jsonb(legs("C1", "HOUSE", Decimal("5.00"))), closing),
        )
        close = asyncio.create_task(ledger.eod_close(closing))
        await asyncio.sleep(0.5)
        assert not close.done(), "the close must wait for the posting that holds its date"
        posting.commit()
    result = await asyncio.wait_for(close, 10)
    assert result["journals"] == 1
    balance = await ledger.get_balance("C1", closing)
    assert (balance["balance"], balance["snapshot_source"]) == (Decimal("5.00"), "snapshot")
    assert_closes_match_legs(admin_conn)


async def test_a_posting_of_a_date_being_closed_waits_then_is_refused(
    ledger: Ledger, app_dsn: str
) -> None:
    today = await ledger.business_date()
    closing = today - timedelta(days=1)
    await open_books(ledger, customers=2)
    await ledger.eod_close(closing - timedelta(days=1))
    with psycopg.connect(app_dsn, autocommit=False) as closer:
        closer.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
        closer.execute("SELECT * FROM ledger.eod_close(%s)", (closing,))
        # The close holds its fence until it commits: a posting of a later date is not
        # held up, one of the date being closed waits for the outcome.
        started = time.monotonic()
        later = await ledger.post_journal("later", legs("C1", "HOUSE", Decimal("1.00")), today)
        assert later["status"] == "posted" and time.monotonic() - started < 2
        waiting = asyncio.create_task(
            ledger.post_journal("racing", legs("C1", "HOUSE", Decimal("1.00")), closing)
        )
        await asyncio.sleep(0.5)
        assert not waiting.done()
        closer.commit()
    with pytest.raises(errors.RuleViolation) as refused:
        await asyncio.wait_for(waiting, 10)
    assert refused.value.code == "DX025"


async def test_a_posting_whose_snapshot_predates_a_close_is_retried(
    ledger: Ledger, app_dsn: str
) -> None:
    today = await ledger.business_date()
    closing = today - timedelta(days=1)
    await open_books(ledger, customers=2)
    await ledger.eod_close(closing - timedelta(days=1))
    body = psycopg.types.json.Jsonb(legs("C1", "HOUSE", Decimal("1.00")))
    with psycopg.connect(app_dsn, autocommit=False) as stale:
        stale.execute("SELECT 1")  # the transaction's snapshot is taken here
        await ledger.eod_close(closing)
        with pytest.raises(psycopg.errors.SerializationFailure):
            stale.execute("SELECT * FROM ledger.post_journal('stale', %s, %s)", (body, closing))
        stale.rollback()
        # On a fresh snapshot the boundary is there.
        with pytest.raises(psycopg.DatabaseError) as refused:
            stale.execute("SELECT * FROM ledger.post_journal('stale', %s, %s)", (body, closing))
        assert refused.value.sqlstate == "DX025"
        stale.rollback()
    # Through the shell the retry is automatic: a clean DX025.
    with pytest.raises(errors.RuleViolation) as via_shell:
        await ledger.post_journal("shell", legs("C1", "HOUSE", Decimal("1.00")), closing)
    assert via_shell.value.code == "DX025"


async def test_shell_end_of_day_calls(ledger: Ledger) -> None:
    status = await ledger.set_ledger_settings("Europe/Berlin", time_of_day(17, 0))
    assert (status["time_zone"], status["cutoff"]) == ("Europe/Berlin", time_of_day(17, 0))
    today = await ledger.business_date()
    assert today == status["business_date"]
    await ledger.create_account("CASH", "Cash", "EUR")
    await ledger.create_account("SALES", "Sales", "EUR", "income")
    for offset in (3, 1):
        await ledger.post_journal(
            f"k{offset}", legs("CASH", "SALES", Decimal("10.00")), today - timedelta(days=offset)
        )
    events: list[Row] = []
    closed = await ledger.eod_close(today - timedelta(days=1), on_progress=events.append)
    # The fence, then three phases for each of the two dates (today - 3 first).
    assert [(e["done"], e["total"]) for e in events] == [(n, 7) for n in range(1, 8)]
    assert [(e["business_date"], e["phase"]) for e in events] == [(None, "fenced")] + [
        (str(today - timedelta(days=back)), phase)
        for back in (3, 1)
        for phase in ("read", "snapshots", "sealed")
    ]
    assert closed["trial_balance"] == [
        {
            "ccy": "EUR",
            "debits": "10.00",
            "credits": "10.00",
            "total_debits": "20.00",
            "total_credits": "20.00",
        }
    ]
    assert await ledger.eod_close(today - timedelta(days=1)) == closed
    history = await ledger.balance_history("CASH", today - timedelta(days=5), today)
    assert [(h["business_date"], h["closing_balance"]) for h in history] == [
        (today - timedelta(days=3), Decimal("10.00")),
        (today - timedelta(days=1), Decimal("20.00")),
    ]
    status = await ledger.eod_status()
    assert status["latest_closed_date"] == today - timedelta(days=1)
    assert status["last_seal"] == closed["seal"]
    assert await ledger.verify_seals() == []
    with pytest.raises(errors.RuleViolation) as future:
        await ledger.eod_close(today + timedelta(days=1))
    assert (future.value.code, future.value.http_status) == ("DX026", 422)
    with pytest.raises(errors.RuleViolation) as settings:
        await ledger.set_ledger_settings("Nowhere/Special")
    assert (settings.value.code, settings.value.field) == ("DX027", "time_zone")


async def test_closing_an_empty_ledger_needs_no_retry(app_dsn: str) -> None:
    retries: list[str] = []
    async with Ledger(
        app_dsn, retry=RetryPolicy(max_attempts=3), on_retry=retries.append
    ) as ledger:
        today = await ledger.business_date()
        closed = await ledger.eod_close(today - timedelta(days=1))
    assert closed["journals"] == 0 and retries == []


async def test_a_stale_posting_is_retried_while_another_close_commits_or_after_it_rolls_back(
    ledger: Ledger, app_dsn: str, admin_dsn: str
) -> None:
    today = await ledger.business_date()
    closing = today - timedelta(days=1)
    await open_books(ledger, customers=1)
    await ledger.eod_close(closing - timedelta(days=1))
    body = psycopg.types.json.Jsonb(legs("C1", "HOUSE", Decimal("1.00")))
    post = "SELECT * FROM ledger.post_journal(%s, %s, %s)"
    with (
        psycopg.connect(app_dsn, autocommit=False) as stale,
        psycopg.connect(app_dsn, autocommit=False) as other,
    ):
        use_key(other, tenant_key(admin_dsn, "other"))  # doublex_app is bound to default (#14)
        stale.execute("SELECT 1")  # snapshot before the close of `closing`
        await ledger.eod_close(closing)
        # Another tenant's close publishes after it and is still open: the stale posting
        # must neither wait for it nor miss the committed close behind it.
        other.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
        other.execute("SELECT * FROM ledger.eod_close(%s, 'other')", (closing,))
        started = time.monotonic()
        with pytest.raises(psycopg.errors.SerializationFailure):
            stale.execute(post, ("stale-1", body, today))
        assert time.monotonic() - started < 2
        stale.rollback()
        other.rollback()
        # A close commits, a later one publishes and rolls back: the committed one is still
        # the one a stale snapshot must not miss.
        stale.execute("SELECT 1")
        await ledger.eod_close(today)
        other.execute("SELECT * FROM ledger.eod_close(%s, 'other')", (closing,))
        other.rollback()
        with pytest.raises(psycopg.errors.SerializationFailure):
            stale.execute(post, ("stale-2", body, today + timedelta(days=1)))
        stale.rollback()
    fresh = await ledger.post_journal(
        "fresh", legs("C1", "HOUSE", Decimal("1.00")), today + timedelta(days=1)
    )
    assert fresh["status"] == "posted"
