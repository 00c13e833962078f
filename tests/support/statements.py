"""Books for the account statement tests: CASH (asset) and SALES (income) in EUR with
journals spread over the last months, a reversal, and a close part of the way, so a
statement reads closed days from the snapshots and open ones live."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from doublex.db import Ledger
from doublex.db.runner import Row

DAYS_BACK = 100  # the first journal's distance from today
JOURNALS = 60
CLOSED_BACK = 30  # closed through today - 30


def journal(index: int, today: date) -> dict[str, Any]:
    """Journal `index`: on a date walking from today - DAYS_BACK to today, sales and refunds,
    some memos and refs that start like spreadsheet formulas."""
    back = DAYS_BACK - index * DAYS_BACK // (JOURNALS - 1)
    debit, credit = ("SALES", "CASH") if index % 7 == 3 else ("CASH", "SALES")
    amount = f"{Decimal(index * 37 % 500 + 1) / 4:.2f}"
    return {
        "idempotency_key": f"s-{index}",
        "effective_date": (today - timedelta(days=back)).isoformat(),
        "memo": f"=sale {index}" if index % 11 == 0 else f"sale {index}",
        "ref": f"R-{index}" if index % 3 else None,
        "legs": [
            {"account": debit, "side": "debit", "amount": amount, "ccy": "EUR"},
            {"account": credit, "side": "credit", "amount": amount, "ccy": "EUR"},
        ],
    }


async def seed(ledger: Ledger, tenant: str | None = None) -> date:
    """Open the accounts, post the journals, reverse one, close through today - CLOSED_BACK;
    answer today (the business date)."""
    today = await ledger.business_date(tenant=tenant)
    await ledger.create_account("CASH", "Cash at bank", "EUR", tenant=tenant)
    await ledger.create_account("SALES", "Sales", "EUR", "income", tenant=tenant)
    results = await ledger.post_journals([journal(i, today) for i in range(JOURNALS)], tenant)
    assert {result["status"] for result in results} == {"posted"}
    await ledger.reverse_journal(results[-2]["journal_id"], "s-back", "reversed", tenant)
    await ledger.eod_close(today - timedelta(days=CLOSED_BACK), tenant)
    return today


async def sql_statement(ledger: Ledger, code: str, first: date, last: date) -> list[Row]:
    """The statement as ledger.account_statement gives it in pages of 1000."""
    return (await ledger.whole_statement(code, first, last)).rows
