"""ledger.post_journals through the shell: one result per request, rejected requests write
nothing, keys repeated in a batch replay, empty and oversized batches, concurrent batches."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from doublex import errors
from doublex.db import Ledger
from support.invariants import assert_ledger_invariants


def transfer(key: str, debit: str, credit: str, amount: str, **extra: Any) -> dict[str, Any]:
    return {
        "idempotency_key": key,
        "legs": [
            {"account": debit, "side": "debit", "amount": amount, "ccy": "EUR"},
            {"account": credit, "side": "credit", "amount": amount, "ccy": "EUR"},
        ],
        **extra,
    }


@pytest.fixture
async def accounts(ledger: Ledger) -> Ledger:
    await ledger.create_account("CASH", "Cash", "EUR")
    await ledger.create_account("FEES", "Fees", "EUR", type="income")
    await ledger.create_account("WALLET", "Wallet", "EUR", type="liability", allow_negative=False)
    return ledger


async def test_mixed_batch_keeps_order_and_writes_only_what_posts(
    accounts: Ledger, admin_dsn: str
) -> None:
    results = await accounts.post_journals(
        [
            transfer("m-1", "CASH", "WALLET", "50.00"),
            transfer("m-2", "CASH", "FEES", "1.00", memo="x" * 1001),
            transfer("m-1", "CASH", "WALLET", "50.00"),
            transfer("m-1", "CASH", "WALLET", "60.00"),
            transfer("m-3", "WALLET", "FEES", "75.00"),
            transfer("m-4", "WALLET", "FEES", "20.00"),
            {"idempotency_key": "m-5", "legs": "not legs"},
        ]
    )
    assert [(r["position"], r["status"], r["error_code"]) for r in results] == [
        (0, "posted", None),
        (1, "rejected", "DX019"),
        (2, "duplicate", None),
        (3, "rejected", "DX011"),
        (4, "rejected", "DX010"),
        (5, "posted", None),
        (6, "rejected", "DX001"),
    ]
    assert results[2]["journal_id"] == results[0]["journal_id"]
    assert results[1]["error_field"] == "memo"
    wallet = await accounts.get_balance("WALLET")
    assert wallet["balance"] == Decimal("30.00")  # 50 in, 20 out; the 75 overdraft refused
    journals = await accounts.list_journals()
    assert sorted(j["idempotency_key"] for j in journals) == ["m-1", "m-4"]
    assert_ledger_invariants(admin_dsn)


async def test_replayed_batch_is_all_duplicates(accounts: Ledger) -> None:
    batch = [transfer(f"r-{i}", "CASH", "FEES", f"{i}.00") for i in range(1, 6)]
    first = await accounts.post_journals(batch)
    again = await accounts.post_journals(batch)
    assert {r["status"] for r in first} == {"posted"}
    assert {r["status"] for r in again} == {"duplicate"}
    assert [r["journal_id"] for r in again] == [r["journal_id"] for r in first]
    assert (await accounts.get_balance("FEES"))["balance"] == Decimal("15.00")


async def test_empty_batch_returns_nothing(accounts: Ledger) -> None:
    assert await accounts.post_journals([]) == []


async def test_batch_over_the_limit_is_refused_whole(accounts: Ledger) -> None:
    batch = [transfer(f"o-{i}", "CASH", "FEES", "1.00") for i in range(1001)]
    with pytest.raises(errors.RuleViolation) as raised:
        await accounts.post_journals(batch)
    assert raised.value.code == "DX024"
    assert raised.value.http_status == 422
    assert await accounts.list_journals() == []


async def test_batch_of_exactly_the_limit_posts(accounts: Ledger) -> None:
    batch = [transfer(f"l-{i}", "CASH", "FEES", "0.01") for i in range(1000)]
    results = await accounts.post_journals(batch)
    assert len(results) == 1000 and {r["status"] for r in results} == {"posted"}
    assert (await accounts.get_balance("FEES"))["balance"] == Decimal("10.00")


async def test_concurrent_batches_sharing_keys_post_each_key_once(
    accounts: Ledger, admin_dsn: str
) -> None:
    """Eight batches race over the same 50 keys (same requests): every key ends with one
    journal and every answer is posted or duplicate, whatever the serialization retries."""
    batch = [transfer(f"c-{i}", "CASH", "FEES", "1.00") for i in range(50)]
    outcomes = await asyncio.gather(*(accounts.post_journals(batch) for _ in range(8)))
    for i in range(50):
        statuses = sorted(results[i]["status"] for results in outcomes)
        assert statuses == ["duplicate"] * 7 + ["posted"], f"key c-{i}: {statuses}"
    assert (await accounts.get_balance("FEES"))["balance"] == Decimal("50.00")
    assert_ledger_invariants(admin_dsn)


async def test_concurrent_batches_never_overdraw_a_constrained_account(
    accounts: Ledger, admin_dsn: str
) -> None:
    """Clean batches take the set-based fast path, which checks the no-negative rule itself:
    racing each other over one wallet, they never take it below zero (the fast path reads
    the balance as the commit check would, so SSI aborts one of two racing batches), and a
    request that would overdraw it is rejected on its own."""
    await accounts.post_journal(
        "fund",
        [
            {"account": "CASH", "side": "debit", "amount": "100.00", "ccy": "EUR"},
            {"account": "WALLET", "side": "credit", "amount": "100.00", "ccy": "EUR"},
        ],
    )
    batches = [
        [transfer(f"w-{b}-{i}", "WALLET", "CASH", "3.00") for i in range(5)] for b in range(8)
    ]
    outcomes = await asyncio.gather(*(accounts.post_journals(batch) for batch in batches))
    answers = [r for results in outcomes for r in results]
    assert {(r["status"], r["error_code"]) for r in answers} <= {
        ("posted", None),
        ("rejected", "DX010"),
    }
    posted = sum(1 for r in answers if r["status"] == "posted")
    left = (await accounts.get_balance("WALLET"))["balance"]
    assert left == Decimal("100.00") - posted * Decimal("3.00")
    assert Decimal("0") <= left < Decimal("3.00")
    assert_ledger_invariants(admin_dsn)
